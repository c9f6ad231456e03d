//! Hash tables whose keys live elsewhere: the pieces of a text (the
//! `Rechecker`'s documents and `List` items) and the keys of a large
//! mapping (the YAML reader's duplicate-key index). An entry holds its
//! key's hash and where the key is, and a lookup compares the key where it
//! lives, so no key is copied. One entry type and one insertion serve both:
//! each instance of a hash table's growth weighs most of a kilobyte in the
//! browser's wasm.

/// A table of [`Entry`]s, looked up by their key's hash.
pub(crate) type Table = hashbrown::HashTable<Entry>;

/// A key's hash, where the key is, and what it leads to.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Entry {
    pub hash: u64,
    /// Where the key is: a byte offset in a text, a position in a list.
    pub at: usize,
    /// The key's length, when it is a piece of a text.
    pub len: usize,
    /// What the key leads to.
    pub slot: usize,
}

/// Add an entry whose key is not in the table yet.
pub(crate) fn insert(table: &mut Table, entry: Entry) {
    table.insert_unique(entry.hash, entry, |e| e.hash);
}
