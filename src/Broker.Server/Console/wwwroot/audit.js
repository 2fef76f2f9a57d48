import { api, ApiError, describe, failed } from "./api.js";
import { h, notice, replace, table, text, time } from "./dom.js";

const actions = [
  "credential.write", "credential.delete", "credential.read", "token.mint", "sts.mint", "key.create", "key.rotate", "key.revoke",
  "key.revoke_leaked", "inbound.verify", "request.denied", "signing_key.rotate", "signing_key.retire", "audit.value_reads",
  "approval.request", "approval.approve", "approval.deny", "workload.login",
];

export async function renderAudit(page) {
  document.title = "Audit · Broker console";
  const verification = h("div", { id: "audit-verify" }, notice("info", "Verifying the chain…"));
  const action = h("select", { id: "audit-action", name: "action" }, h("option", { value: "" }, "any action"), actions.map(a => h("option", { value: a }, a)));
  const since = h("input", { id: "audit-since", name: "since", type: "text", placeholder: "2026-01-31T00:00:00Z", size: "22" });
  const actor = h("input", { id: "audit-actor", name: "actor", type: "text", placeholder: "name or key id", size: "18" });
  const limit = h("select", { id: "audit-limit", name: "limit" }, ["100", "500", "1000"].map(n => h("option", { value: n }, n)));
  const filters = h("form", { id: "audit-filters", class: "filters" },
    h("label", {}, "Action ", action),
    h("label", {}, "Since ", since),
    h("label", {}, "Key ", actor),
    h("label", {}, "Limit ", limit),
    h("button", { type: "submit" }, "Apply"));
  const records = h("div", { id: "audit-records" });
  page.append(h("h1", {}, "Audit trail"), verification, filters, records);

  filters.addEventListener("submit", event => {
    event.preventDefault();
    load().catch(error => failed(error, records));
  });

  async function load() {
    const query = new URLSearchParams({ limit: limit.value });
    if (action.value) {
      query.set("action", action.value);
    }
    if (since.value.trim()) {
      query.set("since", since.value.trim());
    }
    const answer = await api("GET", `/v1/audit?${query}`);
    // The API filters by action and time; the key filter narrows what came back (by actor name or key id).
    const who = actor.value.trim().toLowerCase();
    const items = answer.items.filter(r => !who || `${r.actor?.name ?? ""} ${r.actor?.keyId ?? ""}`.toLowerCase().includes(who));
    replace(records,
      answer.items.length === Number(limit.value) ? notice("info", `The oldest ${limit.value} records from that time; set "Since" to see later ones.`) : null,
      table(["#", "Time", "Actor", "Action", "Target", "Outcome", "Reason", "Request"], items.map(record => h("tr", { class: `outcome-${record.outcome}` },
        h("td", {}, String(record.id)),
        h("td", {}, time(record.time)),
        h("td", {}, record.actor ? `${text(record.actor.name)} (${text(record.actor.role)})` : "—"),
        h("td", {}, record.action),
        h("td", {}, text(record.target)),
        h("td", {}, h("span", { class: `status ${record.outcome}` }, record.outcome)),
        h("td", {}, text(record.reason)),
        h("td", {}, h("code", {}, text(record.requestId))))), "No records match."));
  }

  async function verify() {
    try {
      const result = await api("GET", "/v1/audit/verify");
      replace(verification, result.valid
        ? notice("ok", `Chain verified: ${result.count} records, intact.`)
        : notice("error", `Chain BROKEN at record ${result.brokenAt} (of ${result.count}): a record was edited, removed or reordered.`));
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) {
        replace(verification, notice("info", "Chain verification needs an admin key (forbidden for this key)."));
      } else if (error instanceof ApiError && error.status === 401) {
        throw error;
      } else {
        replace(verification, notice("error", `Chain verification failed: ${describe(error)}`));
      }
    }
  }

  await Promise.all([verify(), load()]);
}
