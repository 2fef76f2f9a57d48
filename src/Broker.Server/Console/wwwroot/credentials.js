import { api, enc, failed } from "./api.js";
import { h, pairs, replace, table, text, time } from "./dom.js";

// Names, kinds, versions and labels only: the API never returns a value, and this page never asks for one.
export async function renderCredentials(page) {
  document.title = "Credentials · Broker console";
  const detail = h("div", { id: "credential-detail" });
  const list = h("div", { id: "credentials-list" });
  page.append(h("h1", {}, "Credentials"), list, detail);

  const answer = await api("GET", "/v1/credentials");
  replace(list, table(
    ["Name", "Kind", "Version", "Subject", "Labels", "Updated"],
    answer.items.map(credential => h("tr", { "data-credential": credential.name },
      h("td", {}, versionsButton(credential)),
      h("td", {}, credential.kind),
      h("td", {}, String(credential.version)),
      h("td", {}, text(credential.subject)),
      h("td", {}, pairs(credential.labels)),
      h("td", {}, time(credential.updatedAt)))),
    "No credentials."));

  function versionsButton(credential) {
    const button = h("button", { type: "button", class: "link", title: "Show versions" }, credential.name);
    button.addEventListener("click", async () => {
      try {
        const described = await api("GET", `/v1/credentials/${enc(credential.name)}`);
        replace(detail, h("div", { class: "card" },
          h("h2", {}, `Versions of ${described.name}`),
          h("p", {}, `Kind ${described.kind}, current version ${described.version}, created ${time(described.createdAt)}.`),
          described.syncStatus ? h("p", {}, `Synced from ${text(described.source)}: ${described.syncStatus}, last ${time(described.lastSyncedAt)}. ${text(described.syncError)}`) : null,
          table(["Version", "Created"], (described.versions ?? []).map(v => h("tr", {}, h("td", {}, String(v.version)), h("td", {}, time(v.createdAt)))), "No versions.")));
      } catch (error) {
        failed(error, detail);
      }
    });
    return button;
  }
}

