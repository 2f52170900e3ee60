// Misuse the types must reject: if this file type-checks, the declarations are too loose.
import { validate, validateDatastoreChange, grantSql, parseConnectionString } from "pgconnect";

const report = validate({});
const n: string = report.errors;                      // TS2322: number is not string
report.nonexistent;                                    // TS2339: no such property
grantSql({ kind: "sideways", role: "r", database: "d", schemas: ["s"] }); // TS2322: not a DatastoreKind
parseConnectionString(42);                             // TS2345: number is not string
validateDatastoreChange({ schema: "s" });              // TS2554: the kind is required
validateDatastoreChange({ schema: "s" }, "sideways");  // TS2345: not a DatastoreKind
export { n };
