//! The module's allocator: a bump region in front of the default one.
//!
//! policy-server instantiates the module afresh for every admission request
//! and throws the instance away after one call. The default allocator
//! (dlmalloc) keeps free lists for memory the instance will never reuse,
//! and grows the linear memory in steps that each cost the host a call:
//! for a Deployment that is about 8% of the module's time per request
//! (`cargo bench --bench policy`, "fresh"; more for the largest requests).
//!
//! [`Arena`] hands out memory from a fixed region by moving a pointer, and
//! frees only the most recent allocation (so a `Vec` that grows last grows
//! in place). One Deployment request uses about 28 KB of it. When the
//! region is used up, every further allocation comes from the default
//! allocator, which frees as usual: an instance that a host reuses for many
//! requests uses the region once, then runs as it would without it, so its
//! memory stays bounded.
//!
//! **Invariant:** a pointer inside the region is only ever freed or
//! reallocated here, and one outside it only by the default allocator.
//!
//! The unit tests below also pass under Miri, with strict provenance and
//! with tree borrows (not in CI, which has no nightly toolchain with Miri):
//! `MIRIFLAGS=-Zmiri-strict-provenance cargo +nightly miri test -p kube-immutable-policy --lib arena`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, UnsafeCell};

/// The region's size in the module: 1 MiB of zeroed memory (`.bss`, not
/// stored in the module), about 37 Deployment requests.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub(crate) const REGION_BYTES: usize = 1 << 20;

/// A bump region of `N` bytes, falling back to [`System`] when it is full.
#[repr(C, align(16))]
pub(crate) struct Arena<const N: usize> {
    region: UnsafeCell<[u8; N]>,
    /// Bytes of the region handed out, from its start.
    used: Cell<usize>,
}

impl<const N: usize> Arena<N> {
    pub(crate) const fn new() -> Self {
        Self {
            region: UnsafeCell::new([0; N]),
            used: Cell::new(0),
        }
    }

    fn start(&self) -> usize {
        self.region.get() as usize
    }

    fn owns(&self, ptr: *mut u8) -> bool {
        (self.start()..self.start() + N).contains(&(ptr as usize))
    }

    fn top(&self) -> usize {
        self.start() + self.used.get()
    }

    /// A block of the region, or `None` when it does not fit.
    fn bump(&self, layout: Layout) -> Option<*mut u8> {
        let begin = self.top().checked_next_multiple_of(layout.align())?;
        let end = begin.checked_add(layout.size())?;
        if end > self.start() + N {
            return None;
        }
        self.used.set(end - self.start());
        // Derived from the region's pointer, so it keeps its provenance.
        Some(
            self.region
                .get()
                .cast::<u8>()
                .wrapping_add(begin - self.start()),
        )
    }
}

// SAFETY: `GlobalAlloc`'s contract, by the invariant above: region blocks
// are disjoint (each starts at or after the end of the last one handed out,
// and `used` only moves back over the block being freed, which is the last
// one), aligned (`checked_next_multiple_of`) and inside the region; every
// other pointer goes to `System` with the layout it was allocated with.
// Not inlined: inlined at every allocation site, the bump grew the module by
// 13 KB (the WASI command by 44 KB) and made it no faster.
#[allow(unsafe_code)]
unsafe impl<const N: usize> GlobalAlloc for Arena<N> {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(ptr) => ptr,
            // SAFETY: the caller's contract (non-zero size) is passed on.
            None => unsafe { System.alloc(layout) },
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.owns(ptr) {
            // SAFETY: not from the region, so from `System`, with `layout`.
            return unsafe { System.dealloc(ptr, layout) };
        }
        // Only the last block can be given back; the others stay used until
        // the instance is dropped.
        if ptr as usize + layout.size() == self.top() {
            self.used.set(ptr as usize - self.start());
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.owns(ptr) {
            // SAFETY: not from the region, so from `System`, with `layout`.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        let begin = ptr as usize;
        let is_last = begin + layout.size() == self.top();
        if is_last && new_size <= self.start() + N - begin {
            self.used.set(begin + new_size - self.start());
            return ptr;
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: `new_size` is non-zero and, rounded up to the alignment,
        // does not overflow (the caller's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as `alloc`.
        let moved = unsafe { self.alloc(new_layout) };
        if !moved.is_null() {
            // SAFETY: both blocks are at least `layout.size()` long, and
            // disjoint: `moved` is after the region's last block, or outside
            // the region.
            unsafe { std::ptr::copy_nonoverlapping(ptr, moved, layout.size()) };
            // SAFETY: `ptr` is a region block of `layout`, no longer used.
            unsafe { self.dealloc(ptr, layout) };
        }
        moved
    }
}

/// The allocator of both faces (this file is part of the library and of the
/// WASI command), on `wasm32` only: native builds and tests keep the
/// default one.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: Arena<REGION_BYTES> = Arena::new();

// SAFETY: the module is single-threaded (`wasm32-wasip1` without the
// `atomics` feature has no threads, and a host never enters one instance
// twice at once), so `used` is never touched from two threads.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[allow(unsafe_code)]
unsafe impl<const N: usize> Sync for Arena<N> {}

#[cfg(test)]
#[allow(unsafe_code)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).expect("valid layout")
    }

    /// Allocate and fill with `byte`, so overlaps would show.
    fn filled<const N: usize>(arena: &Arena<N>, layout: Layout, byte: u8) -> *mut u8 {
        let ptr = unsafe { arena.alloc(layout) };
        assert!(!ptr.is_null());
        unsafe { ptr.write_bytes(byte, layout.size()) };
        ptr
    }

    fn bytes<'a>(ptr: *mut u8, len: usize) -> &'a [u8] {
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_in_the_region() {
        let arena = Box::new(Arena::<4096>::new());
        let a = filled(&arena, layout(3, 1), 1);
        let b = filled(&arena, layout(8, 8), 2);
        let c = filled(&arena, layout(5, 64), 3);
        assert!(arena.owns(a) && arena.owns(b) && arena.owns(c));
        assert_eq!(b as usize % 8, 0);
        assert_eq!(c as usize % 64, 0);
        assert!((a as usize) + 3 <= b as usize && (b as usize) + 8 <= c as usize);
        assert_eq!(bytes(a, 3), [1; 3]);
        assert_eq!(bytes(b, 8), [2; 8]);
        assert_eq!(bytes(c, 5), [3; 5]);
    }

    #[test]
    fn only_the_last_block_is_given_back() {
        let arena = Box::new(Arena::<4096>::new());
        let a = filled(&arena, layout(16, 8), 1);
        let b = filled(&arena, layout(16, 8), 2);
        unsafe { arena.dealloc(a, layout(16, 8)) };
        assert_eq!(arena.used.get(), 32, "an earlier block stays used");
        unsafe { arena.dealloc(b, layout(16, 8)) };
        assert_eq!(arena.used.get(), 16);
        let again = filled(&arena, layout(16, 8), 3);
        assert_eq!(again, b, "the freed last block is handed out again");
    }

    #[test]
    fn the_last_block_grows_and_shrinks_in_place_others_move() {
        let arena = Box::new(Arena::<4096>::new());
        let a = filled(&arena, layout(8, 8), 1);
        let grown = unsafe { arena.realloc(a, layout(8, 8), 100) };
        assert_eq!(grown, a);
        assert_eq!(arena.used.get(), 100);
        let shrunk = unsafe { arena.realloc(a, layout(100, 8), 40) };
        assert_eq!(shrunk, a);
        assert_eq!(arena.used.get(), 40);

        let b = filled(&arena, layout(8, 8), 2);
        let moved = unsafe { arena.realloc(a, layout(40, 8), 200) };
        assert!(
            moved as usize >= b as usize + 8,
            "moved after the last block"
        );
        assert_eq!(bytes(moved, 8), [1; 8], "content copied");
        assert_eq!(bytes(b, 8), [2; 8], "the block in between is untouched");
        let same = unsafe { arena.realloc(b, layout(8, 8), 4) };
        assert_eq!(same, b, "a block that is not last shrinks in place");
    }

    #[test]
    fn a_full_region_falls_back_to_the_system_allocator() {
        let arena = Box::new(Arena::<256>::new());
        let a = filled(&arena, layout(200, 8), 1);
        let big = filled(&arena, layout(100, 8), 2);
        assert!(arena.owns(a) && !arena.owns(big));
        assert_eq!(
            arena.used.get(),
            200,
            "a block that does not fit takes nothing"
        );

        // The last region block, grown past the end, moves out and is given
        // back to the region.
        let out = unsafe { arena.realloc(a, layout(200, 8), 1000) };
        assert!(!arena.owns(out));
        assert_eq!(bytes(out, 200), [1; 200]);
        assert_eq!(arena.used.get(), 0);

        // System blocks are reallocated and freed by the system allocator.
        let out = unsafe { arena.realloc(out, layout(1000, 8), 5000) };
        assert_eq!(bytes(out, 200), [1; 200]);
        assert_eq!(bytes(big, 100), [2; 100]);
        unsafe {
            arena.dealloc(out, layout(5000, 8));
            arena.dealloc(big, layout(100, 8));
        }
        let back = filled(&arena, layout(64, 8), 3);
        assert!(
            arena.owns(back),
            "the region serves again once space is back"
        );
    }

    #[test]
    fn a_block_grown_step_by_step_stays_in_place_until_the_region_is_full() {
        // What a `Vec` that is pushed to does: realloc of the last block.
        let arena = Box::new(Arena::<1024>::new());
        let ptr = filled(&arena, layout(4, 4), 0);
        let mut len = 4;
        while len + 4 <= 1024 {
            let grown = unsafe { arena.realloc(ptr, layout(len, 4), len + 4) };
            assert_eq!(grown, ptr, "in place at {len} bytes");
            unsafe { grown.add(len).write_bytes(len as u8, 4) };
            len += 4;
        }
        let moved = unsafe { arena.realloc(ptr, layout(len, 4), len + 4) };
        assert!(!arena.owns(moved), "past the region's end it moves out");
        assert_eq!(bytes(moved, 8), [0, 0, 0, 0, 4, 4, 4, 4]);
        assert_eq!(bytes(moved, len)[len - 4..], [(len - 4) as u8; 4]);
        assert_eq!(arena.used.get(), 0, "and the region is free again");
        unsafe { arena.dealloc(moved, layout(len + 4, 4)) };
    }
}
