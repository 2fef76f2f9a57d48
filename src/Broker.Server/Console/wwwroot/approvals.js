import { api, ApiError, enc, failed } from "./api.js";
import { h, notice, replace, table, text, time } from "./dom.js";

export async function renderApprovals(page) {
  document.title = "Approvals · Broker console";
  const status = h("div", { id: "approvals-status" });
  const list = h("div", { id: "approvals-list" });
  page.append(h("h1", {}, "Pending approvals"), status, list);

  async function load() {
    let answer;
    try {
      answer = await api("GET", "/v1/approvals?status=pending");
    } catch (error) {
      // A broker without approvals has no such route.
      if (error instanceof ApiError && error.status === 404) {
        replace(list, notice("info", "Approvals are not available on this broker."));
        return;
      }
      throw error;
    }
    replace(list, table(
      ["Requested by", "Kind", "Target", "Scopes", "Role", "On behalf of", "Task", "Expires", ""],
      answer.items.map(approval => h("tr", { "data-approval": approval.id },
        h("td", {}, text(approval.requestedBy)),
        h("td", {}, text(approval.kind)),
        h("td", {}, text(approval.target)),
        h("td", {}, text(approval.scopes)),
        h("td", {}, text(approval.roleArn)),
        h("td", {}, text(approval.onBehalfOf)),
        h("td", {}, text(approval.task)),
        h("td", {}, time(approval.expiresAt)),
        h("td", { class: "actions" }, decide(approval)))),
      "Nothing is waiting for a decision."));
  }

  function decide(approval) {
    const reason = h("input", { type: "text", placeholder: "reason", size: "16", "aria-label": "Reason" });
    const approve = h("button", { type: "button" }, "Approve");
    const deny = h("button", { type: "button", class: "danger" }, "Deny");
    const send = verdict => async () => {
      approve.disabled = deny.disabled = true;
      try {
        const body = reason.value.trim() ? { reason: reason.value.trim() } : (verdict === "deny" ? { reason: "denied in the console" } : {});
        await api("POST", `/v1/approvals/${enc(approval.id)}/${verdict}`, body);
        replace(status, notice("ok", `${verdict === "approve" ? "Approved" : "Denied"} ${text(approval.target)}.`));
        await load();
      } catch (error) {
        failed(error, status);
        approve.disabled = deny.disabled = false;
      }
    };
    approve.addEventListener("click", send("approve"));
    deny.addEventListener("click", send("deny"));
    return [reason, approve, deny];
  }

  await load();
}
