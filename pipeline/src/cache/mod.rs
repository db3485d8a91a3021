//! The Cache connection manager (`CreationName` `CACHE`): its columns and index positions read
//! from the package (`manager.rs`), and the in-memory caches one package run keeps for them
//! (`store.rs`), shared by the run's data flows — a Cache Transform fills one, Lookups read it
//! until the package ends. A manager with UseFile also keeps its rows in a cache file of
//! ssisd's raw format (`raw_file`, kind `cache`): the Cache Transform writes it, a Lookup whose
//! cache was not filled in this run loads it (`load.rs`). It must not know components.

pub mod load;
pub mod manager;
pub mod store;

pub use load::CacheLoadError;
pub use manager::{parse_cache_manager, CacheManagerError, CacheSpec};
pub use store::{CacheClaimed, CacheStore, CachedReference};
