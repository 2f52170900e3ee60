// A browser app as the package README shows it: init once, then call.
import init, { validate, parseConnectionString, grantSql } from "pgconnect";

await init();
const report = validate({
  name: "orders", teams: ["Public"], database: "analytics", schema: "public",
  connection: { type: "postgresql", host: "db.example.com:5432", port: 5432, username: "reader", password: "x" },
});
const parsed = parseConnectionString("postgresql://reader@db.example.com/analytics?sslmode=verify-full");
const grant = grantSql({ kind: "source", role: "reader", database: "analytics", schemas: ["public"], password: "pw" });
window.result = {
  codes: report.diagnostics.map((d) => d.code),
  host: parsed.host,
  scram: /SCRAM-SHA-256\$4096:/.test(grant.text ?? ""),
};
document.getElementById("out").textContent = JSON.stringify(window.result, null, 2);
