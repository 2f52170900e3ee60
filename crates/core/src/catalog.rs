//! A datastore's catalog, as data: what discovery (`pgconnect-live::catalog`, "Initiate Sync")
//! found in the datastore's schema — tables and views, their columns, primary keys, the columns an
//! incremental scan could follow, estimated row counts. The registry stores it and the wizard
//! shows it; the reading itself is I/O and lives at the edge.

use serde::{Deserialize, Serialize};

/// What a relation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// An ordinary table.
    Table,
    /// A partitioned table (its partitions are not listed apart).
    PartitionedTable,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A foreign table.
    ForeignTable,
}

impl TableKind {
    /// From `pg_class.relkind`.
    #[must_use]
    pub fn from_relkind(relkind: &str) -> Option<TableKind> {
        match relkind {
            "r" => Some(TableKind::Table),
            "p" => Some(TableKind::PartitionedTable),
            "v" => Some(TableKind::View),
            "m" => Some(TableKind::MaterializedView),
            "f" => Some(TableKind::ForeignTable),
            _ => None,
        }
    }

    /// Whether the relation holds its own rows (so a primary key makes sense).
    #[must_use]
    pub fn stores_rows(self) -> bool {
        matches!(self, TableKind::Table | TableKind::PartitionedTable)
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Column {
    /// Name.
    pub name: String,
    /// Type as PostgreSQL writes it (`format_type`), e.g. `timestamp with time zone`.
    pub data_type: String,
    /// Whether it may hold NULL.
    pub nullable: bool,
}

/// Why a column suits incremental scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncrementalReason {
    /// `timestamp` / `timestamptz`: rows newer than the last scan.
    Timestamp,
    /// `date`.
    Date,
    /// An identity column (`GENERATED … AS IDENTITY`).
    Identity,
    /// A serial column (default `nextval(…)`).
    Serial,
}

/// A column an incremental scan could follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncrementalCandidate {
    /// The column.
    pub column: String,
    /// Why.
    pub reason: IncrementalReason,
}

/// One table or view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Table {
    /// Name (unquoted).
    pub name: String,
    /// What it is.
    pub kind: TableKind,
    /// `pg_class.reltuples`; `None` when the table was never analyzed (or for a view).
    pub estimated_rows: Option<u64>,
    /// Whether the datastore's role may SELECT from it.
    pub readable: bool,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Primary key columns in key order; empty when there is none.
    pub primary_key: Vec<String>,
    /// Columns an incremental scan could follow.
    pub incremental_candidates: Vec<IncrementalCandidate>,
}

/// What discovery found in one schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Catalog {
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
    /// Tables and views, by name.
    pub tables: Vec<Table>,
    /// Tables (that store rows) without a primary key, by name.
    pub tables_without_primary_key: Vec<String>,
    /// Columns in all.
    pub column_count: usize,
    /// How long the catalog queries took, in milliseconds.
    pub elapsed_ms: f64,
}

/// The incremental reason for a column, from its type OID and identity/serial flags.
#[must_use]
pub fn incremental_reason(
    type_oid: u32,
    identity: bool,
    serial: bool,
) -> Option<IncrementalReason> {
    // pg_type OIDs are fixed for built-in types
    const DATE: u32 = 1082;
    const TIMESTAMP: u32 = 1114;
    const TIMESTAMPTZ: u32 = 1184;
    if identity {
        Some(IncrementalReason::Identity)
    } else if serial {
        Some(IncrementalReason::Serial)
    } else {
        match type_oid {
            TIMESTAMP | TIMESTAMPTZ => Some(IncrementalReason::Timestamp),
            DATE => Some(IncrementalReason::Date),
            _ => None,
        }
    }
}

/// Finishes a catalog: sorts tables, lists those without a primary key, counts columns.
#[must_use]
pub fn assemble(database: &str, schema: &str, mut tables: Vec<Table>, elapsed_ms: f64) -> Catalog {
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let tables_without_primary_key = tables
        .iter()
        .filter(|t| t.kind.stores_rows() && t.primary_key.is_empty())
        .map(|t| t.name.clone())
        .collect();
    let column_count = tables.iter().map(|t| t.columns.len()).sum();
    Catalog {
        database: database.to_owned(),
        schema: schema.to_owned(),
        tables,
        tables_without_primary_key,
        column_count,
        elapsed_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_and_tables_without_a_key() {
        assert_eq!(
            incremental_reason(1184, false, false),
            Some(IncrementalReason::Timestamp)
        );
        assert_eq!(
            incremental_reason(1082, false, false),
            Some(IncrementalReason::Date)
        );
        assert_eq!(
            incremental_reason(20, true, false),
            Some(IncrementalReason::Identity)
        );
        assert_eq!(
            incremental_reason(20, false, true),
            Some(IncrementalReason::Serial)
        );
        assert_eq!(incremental_reason(25, false, false), None);
        let t = |name: &str, kind, pk: &[&str]| Table {
            name: name.into(),
            kind,
            estimated_rows: None,
            readable: true,
            columns: vec![Column {
                name: "a".into(),
                data_type: "text".into(),
                nullable: true,
            }],
            primary_key: pk.iter().map(|s| (*s).to_owned()).collect(),
            incremental_candidates: vec![],
        };
        let c = assemble(
            "d",
            "s",
            vec![
                t("z", TableKind::Table, &[]),
                t("v", TableKind::View, &[]),
                t("a", TableKind::Table, &["a"]),
            ],
            1.0,
        );
        assert_eq!(
            c.tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["a", "v", "z"]
        );
        assert_eq!(c.tables_without_primary_key, ["z"]);
        assert_eq!(c.column_count, 3);
        assert_eq!(
            TableKind::from_relkind("p"),
            Some(TableKind::PartitionedTable)
        );
        assert_eq!(TableKind::from_relkind("i"), None);
    }
}
