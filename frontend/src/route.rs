//! Where the page is, kept in the URL's fragment so that a reload, a bookmark or the browser's
//! Back and Forward land on the same view: `#/` (or nothing) is the wizard, `#/datastores` the
//! list, `#/datastores/7` a datastore's page. The fragment never reaches the server, so
//! `pgconnect serve` needs no route of its own for these.

/// A view of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The wizard (steps 1–5).
    Add,
    /// The datastores the signed-in person's teams see.
    List,
    /// One datastore's page.
    Datastore(i64),
    /// Login links and issued tokens (admins).
    Access,
}

impl Route {
    /// The route a fragment names (`#/datastores/7`, with or without the `#`). Anything else —
    /// nothing, `#/`, a mistyped or outdated link — is the wizard, the page's home.
    #[must_use]
    pub fn parse(fragment: &str) -> Route {
        let path = fragment.trim_start_matches('#').trim_matches('/');
        let mut parts = path.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("datastores"), None, None) => Route::List,
            (Some("access"), None, None) => Route::Access,
            (Some("datastores"), Some(id), None) => match id.parse::<i64>() {
                Ok(id) if id > 0 => Route::Datastore(id),
                _ => Route::List,
            },
            _ => Route::Add,
        }
    }

    /// The link to the route.
    #[must_use]
    pub fn href(self) -> String {
        match self {
            Route::Add => "#/".to_owned(),
            Route::List => "#/datastores".to_owned(),
            Route::Datastore(id) => format!("#/datastores/{id}"),
            Route::Access => "#/access".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_name_their_views_and_anything_else_is_the_wizard() {
        for (fragment, route) in [
            ("", Route::Add),
            ("#", Route::Add),
            ("#/", Route::Add),
            ("#/datastores", Route::List),
            ("#/datastores/", Route::List),
            ("#datastores", Route::List),
            ("#/datastores/7", Route::Datastore(7)),
            ("#/datastores/7/", Route::Datastore(7)),
            // an id that cannot be one is the list, where the real ones are
            ("#/datastores/x", Route::List),
            ("#/datastores/0", Route::List),
            ("#/datastores/-3", Route::List),
            ("#/datastores/99999999999999999999", Route::List),
            ("#/datastores/7/catalog", Route::Add),
            ("#/elsewhere", Route::Add),
            ("#/access", Route::Access),
            ("#/access/", Route::Access),
            ("#/access/7", Route::Add),
        ] {
            assert_eq!(Route::parse(fragment), route, "{fragment:?}");
        }
    }

    #[test]
    fn every_route_links_to_itself() {
        for route in [Route::Add, Route::List, Route::Datastore(42), Route::Access] {
            assert_eq!(Route::parse(&route.href()), route);
        }
    }
}
