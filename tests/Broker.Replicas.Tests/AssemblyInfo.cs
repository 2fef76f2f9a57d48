// Replica processes are heavy on two cores, and one test stops its PostgreSQL: run these tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
