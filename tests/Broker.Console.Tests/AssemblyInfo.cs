// One test at a time: each starts a broker and some a browser, and the machine is small.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
