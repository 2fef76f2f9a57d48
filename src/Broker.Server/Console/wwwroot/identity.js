import { api, ApiError, enc, failed } from "./api.js";
import { grants, h, notice, pairs, replace, table, text, time, twoClickButton } from "./dom.js";

// Who may prove users, and which workload identities log in without a static secret (admin keys). Names, patterns and
// grants only: an issuer's keys are public, and a profile holds no secret.
export async function renderIdentity(page) {
  document.title = "Identity · Broker console";
  const status = h("div", { id: "identity-status" });
  const issuers = h("div", { id: "issuers-list" });
  const profiles = h("div", { id: "profiles-list" });
  page.append(h("h1", {}, "Identity"), status,
    h("h2", { class: "section" }, "Trusted issuers"), issuers,
    h("h2", { class: "section" }, "Workload profiles"), profiles);

  async function load() {
    let issuerAnswer;
    let profileAnswer;
    try {
      [issuerAnswer, profileAnswer] = await Promise.all([api("GET", "/v1/issuers"), api("GET", "/v1/workload-profiles")]);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 403 || error.status === 404)) {
        replace(issuers, notice("info", error.status === 403
          ? "Only admin keys see and change identity settings."
          : "Identity is not available on this broker."));
        replace(profiles);
        return;
      }
      throw error;
    }
    replace(issuers, table(
      ["Name", "Use", "Issuer", "Keys", "Audiences", "Subject claim", "Added", ""],
      issuerAnswer.items.map(issuer => h("tr", { "data-issuer": issuer.name },
        h("td", {}, text(issuer.name)),
        h("td", {}, text(issuer.use)),
        h("td", {}, text(issuer.issuer)),
        h("td", {}, issuer.jwksUri ? text(issuer.jwksUri) : "inline"),
        h("td", {}, text(issuer.audiences)),
        h("td", {}, text(issuer.subjectClaim)),
        h("td", {}, time(issuer.createdAt)),
        h("td", { class: "actions" }, deleteButton(`/v1/issuers/${enc(issuer.name)}`, `issuer ${issuer.name}`,
          "Its tokens are no longer trusted, on every replica.")))),
      "No trusted issuers."));
    replace(profiles, table(
      ["Name", "Issuer", "Subject", "Claims", "Grants", "TTL", "Created", ""],
      profileAnswer.items.map(profile => h("tr", { "data-profile": profile.name },
        h("td", {}, text(profile.name)),
        h("td", {}, text(profile.issuer)),
        h("td", {}, text(profile.subject)),
        h("td", {}, pairs(profile.claims)),
        h("td", {}, grants(profile.key)),
        h("td", {}, `${profile.ttlSeconds}\u00a0s`),
        h("td", {}, time(profile.createdAt)),
        h("td", { class: "actions" }, deleteButton(`/v1/workload-profiles/${enc(profile.name)}`, `workload profile ${profile.name}`,
          "Every access token it issued stopped, on every replica.")))),
      "No workload profiles."));
  }

  function deleteButton(path, what, after) {
    return twoClickButton("Delete", "Confirm delete", async () => {
      try {
        await api("DELETE", path);
      } catch (error) {
        failed(error, status);
        throw error;
      }
      replace(status, notice("ok", `Deleted ${what}. ${after}`));
      await load();
    });
  }

  await load();
}
