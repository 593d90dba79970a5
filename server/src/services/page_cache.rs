//! Pages of someone's entries as last read, served again until the next write.
//!
//! The week screen is read far more often than anything is written (every visit,
//! reload and return to the app), and a week read from SQLite costs about twice the
//! server CPU of one served from here (docs/decisions/0003). On a SQLite file
//! this server is the only one writing (it holds the file's server lock:
//! [`db::SqliteClaim`]), and every write transaction that commits moves
//! [`Db::write_generation`] on. A page read when the generation was `g` is served again
//! while it is still `g`. So any write retires every cached page at once (a sign-in's
//! too): coarse, but no write can be missed, whoever's entries it touched (an approval
//! or an upload changes other people's weeks; a new name in someone's token changes the
//! owner shown on each of their entries). Another process writing the file (the
//! `timesheets` CLI adding or renaming a project) is seen within
//! [`db::sqlite_reader::OTHERS_SEEN_WITHIN`] through SQLite's `data_version`
//! ([`db::Db::read_generation`]), and retires every page too.
//!
//! On PostgreSQL other servers write too: each write is announced with `NOTIFY` and
//! heard by every server, which moves its generation on as for its own writes; while a
//! server is not listening it serves no cached page ([`db::watch`]).
//!
//! [`Db::write_generation`]: db::Db::write_generation

use std::sync::Arc;

use app::entries::{Entry, Page};
use quick_cache::{sync::Cache, Weighter};

use super::EntryRange;

/// Most entries held over all cached pages (a stored entry is ~0.5 KB: ~10 MB).
const MAX_ENTRIES: u64 = 20_000;

/// Whose page, and which.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub issuer: String,
    pub subject: String,
    pub range: EntryRange,
}

#[derive(Clone)]
struct Cached {
    generation: u64,
    page: Arc<Page<Entry>>,
}

/// A page weighs its entries, and an empty one still takes room.
#[derive(Clone)]
struct ByEntries;

impl Weighter<PageKey, Cached> for ByEntries {
    fn weight(&self, _key: &PageKey, cached: &Cached) -> u64 {
        u64::try_from(cached.page.items.len())
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    }
}

/// Recently read pages, the least used dropped first when full (S3-FIFO, quick_cache).
pub struct PageCache {
    pages: Cache<PageKey, Cached, ByEntries>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("pages", &self.pages.len())
            .finish()
    }
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::with_capacity(MAX_ENTRIES)
    }
}

impl PageCache {
    fn with_capacity(max_entries: u64) -> Self {
        PageCache {
            pages: Cache::with_weighter(1024, max_entries, ByEntries),
        }
    }

    /// The page cached for `key`, if nothing was written since it was read: `generation`
    /// is the write generation now.
    pub fn get(&self, key: &PageKey, generation: u64) -> Option<Arc<Page<Entry>>> {
        self.pages
            .get(key)
            .filter(|cached| cached.generation == generation)
            .map(|cached| cached.page)
    }

    /// Keeps `page`, read from the database after the write generation was `generation`
    /// (taken before the read began: a write committed during the read has moved it on).
    pub fn insert(&self, key: PageKey, generation: u64, page: Arc<Page<Entry>>) {
        self.pages.insert(key, Cached { generation, page });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use app::{
        domain::WorkDate,
        entries::{Entry, Page},
    };

    use super::{PageCache, PageKey};
    use crate::services::EntryRange;

    fn key(subject: &str, limit: u32) -> PageKey {
        let day = WorkDate::parse("2026-11-23").unwrap();
        PageKey {
            issuer: "https://issuer.example".into(),
            subject: subject.into(),
            range: EntryRange {
                from: day,
                to: day,
                after: None,
                limit,
            },
        }
    }

    fn page() -> Arc<Page<Entry>> {
        Arc::new(Page {
            items: Vec::new(),
            next_cursor: Some("next".into()),
        })
    }

    #[test]
    fn a_page_is_served_until_the_generation_moves_on() {
        let cache = PageCache::default();
        let stored = page();
        cache.insert(key("ann", 100), 7, Arc::clone(&stored));
        let served = cache.get(&key("ann", 100), 7).expect("a cached page");
        assert!(Arc::ptr_eq(&served, &stored));
        // Any write since: the page is not served again, nor at an older generation.
        assert!(cache.get(&key("ann", 100), 8).is_none());
        assert!(cache.get(&key("ann", 100), 6).is_none());
        // Someone else, or another range of the same person, is another page.
        assert!(cache.get(&key("bob", 100), 7).is_none());
        assert!(cache.get(&key("ann", 99), 7).is_none());
    }

    #[test]
    fn the_cache_holds_a_bounded_number_of_entries() {
        let cache = PageCache::with_capacity(50);
        for n in 0..1_000 {
            cache.insert(key(&format!("user{n}"), 100), 1, page());
        }
        // Each (empty) page weighs one; shards round their share of the 50 up.
        let (weight, capacity) = (cache.pages.weight(), cache.pages.capacity());
        assert!(capacity < 100, "{capacity}");
        assert!(weight <= capacity, "{weight} > {capacity}");
        assert!(cache.pages.len() as u64 <= capacity);
    }
}
