//! pgconnect's wizard (Leptos, client-side rendering): add a PostgreSQL source datastore, test it
//! live, link an enrichment datastore, finish. Validation, GRANT SQL, connection strings and
//! previews come from the core linked in; only the live check and the registry go to the server.

pub mod access;
pub mod api;
pub mod app;
pub mod datastore;
pub mod details;
pub mod edit;
pub mod fields;
pub mod link;
pub mod list;
pub mod model;
pub mod page;
pub mod panels;
pub mod route;
pub mod state;
pub mod test;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
