//! A line diff for the fixed manifest's "Diff" view: Myers' O((N+M)·D)
//! algorithm, which is quick here because fixes change a handful of lines.
//!
//! Written out rather than taken from a crate: `similar` weighs ~8 KB of
//! the playground's gzipped wasm (its budget is in web/README.md); the tests
//! hold this one to `similar`'s edit counts.

/// One line of a unified diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// `@@ -a,b +c,d @@`: 1-based start and length in the old and new text.
    Hunk {
        old_start: usize,
        old_len: usize,
        new_start: usize,
        new_len: usize,
    },
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// Lines with their line break, so a missing final newline is a change.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The edit script from `a` to `b`, shortest first (Myers 1986). Memory is
/// O(D²) for D edits: each step keeps only the diagonals it reached.
fn script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = n + m;
    let offset = max + 1;
    let mut v = vec![0isize; 2 * max as usize + 3];
    // Frontier of each step before it ran, diagonals -d-1..=d+1.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let at = |v: &[isize], k: isize| v[(k + offset) as usize];
    'search: for d in 0..=max {
        let lo = (offset - d - 1) as usize;
        trace.push(v[lo..=lo + 2 * d as usize + 2].to_vec());
        for k in (-d..=d).step_by(2) {
            let mut x = if k == -d || (k != d && at(&v, k - 1) < at(&v, k + 1)) {
                at(&v, k + 1)
            } else {
                at(&v, k - 1) + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[(k + offset) as usize] = x;
            if x >= n && y >= m {
                break 'search;
            }
        }
    }
    // Walk back through the saved frontiers.
    let mut ops = Vec::with_capacity(max as usize);
    let (mut x, mut y) = (n, m);
    for (d, frontier) in trace.iter().enumerate().rev() {
        let d = d as isize;
        let at = |k: isize| frontier[(k + d + 1) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            ops.push(Op::Same);
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            ops.push(if x == prev_x { Op::Added } else { Op::Removed });
        }
        (x, y) = (prev_x, prev_y);
    }
    ops.reverse();
    ops
}

/// A unified diff with `context` lines around each change; empty when the
/// texts are equal.
pub fn unified<'a>(old: &'a str, new: &'a str, context: usize) -> Vec<Line<'a>> {
    let (a, b) = (lines(old), lines(new));
    let ops = script(&a, &b);
    // Each op with its line in `a` (removed, same) or `b` (added).
    let mut items = Vec::with_capacity(ops.len());
    let (mut i, mut j) = (0, 0);
    for op in ops {
        items.push((op, i, j));
        match op {
            Op::Same => (i, j) = (i + 1, j + 1),
            Op::Removed => i += 1,
            Op::Added => j += 1,
        }
    }
    let changed: Vec<usize> = (0..items.len())
        .filter(|&k| items[k].0 != Op::Same)
        .collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < changed.len() {
        // Grow the hunk while the next change is within twice the context.
        let start = changed[k].saturating_sub(context);
        let mut last = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= last + 2 * context + 1 {
            k += 1;
            last = changed[k];
        }
        let end = (last + context + 1).min(items.len());
        let span = &items[start..end];
        let count = |op| span.iter().filter(|it| it.0 == op).count();
        let (_, i0, j0) = span[0];
        let (old_len, new_len) = (
            count(Op::Same) + count(Op::Removed),
            count(Op::Same) + count(Op::Added),
        );
        out.push(Line::Hunk {
            old_start: if old_len == 0 { i0 } else { i0 + 1 },
            old_len,
            new_start: if new_len == 0 { j0 } else { j0 + 1 },
            new_len,
        });
        out.extend(span.iter().map(|&(op, i, j)| match op {
            Op::Same => Line::Same(a[i]),
            Op::Removed => Line::Removed(a[i]),
            Op::Added => Line::Added(b[j]),
        }));
        k += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(lines: &[Line<'_>]) -> String {
        lines
            .iter()
            .map(|l| match l {
                Line::Hunk {
                    old_start,
                    old_len,
                    new_start,
                    new_len,
                } => {
                    format!("@@ -{old_start},{old_len} +{new_start},{new_len} @@\n")
                }
                Line::Same(t) => format!(" {t}"),
                Line::Removed(t) => format!("-{t}"),
                Line::Added(t) => format!("+{t}"),
            })
            .collect()
    }

    /// The same hunks as `similar`'s unified diff (headers and lines).
    fn check(old: &str, new: &str) {
        let ours = render(&unified(old, new, 3));
        let theirs: String = similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .iter_hunks()
            .map(|h| {
                let mut s = format!("{}\n", h.header());
                for c in h.iter_changes() {
                    let sign = match c.tag() {
                        similar::ChangeTag::Equal => ' ',
                        similar::ChangeTag::Delete => '-',
                        similar::ChangeTag::Insert => '+',
                    };
                    s.push(sign);
                    s.push_str(c.value());
                }
                s
            })
            .collect();
        let edits = |t: &str| t.lines().filter(|l| l.starts_with(['+', '-'])).count();
        assert_eq!(
            edits(&ours),
            edits(&theirs),
            "ours:\n{ours}\nsimilar:\n{theirs}"
        );
        assert_eq!(
            ours.lines().filter(|l| l.starts_with("@@")).count(),
            theirs.lines().filter(|l| l.starts_with("@@")).count(),
            "ours:\n{ours}\nsimilar:\n{theirs}"
        );
    }

    #[test]
    fn equal_texts_have_no_hunks() {
        assert!(unified("a\nb\n", "a\nb\n", 3).is_empty());
        assert!(unified("", "", 3).is_empty());
    }

    #[test]
    fn matches_similar_on_edits_and_hunks() {
        check("a\nb\nc\n", "a\nB\nc\n");
        check("", "a\n");
        check("a\n", "");
        check("a\nb", "a\nb\n");
        let long: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let edited = long
            .replace("line 2\n", "line 2\nadded\n")
            .replace("line 30\n", "")
            .replace("line 35\n", "changed\n");
        check(&long, &edited);
        check(
            &long,
            &long.replace("line 10\n", "x\n").replace("line 14\n", "y\n"),
        );
    }

    /// Small random texts over three distinct lines: every shape of edit.
    #[test]
    fn matches_similar_on_random_texts() {
        let mut seed = 0x2545_f491_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for _ in 0..500 {
            let mut text = || -> String {
                let len = next() % 9;
                (0..len)
                    .map(|_| ["a\n", "b\n", "c\n"][(next() % 3) as usize])
                    .collect()
            };
            let (old, new) = (text(), text());
            check(&old, &new);
        }
    }

    #[test]
    fn tutorial_fix_reads_as_a_unified_diff() {
        let old = include_str!("../../examples/mutable-pod.yaml");
        let (new, _) = crate::checker::fix(old, &Default::default(), crate::i18n::Lang::En);
        check(old, &new);
        let diff = render(&unified(old, &new, 3));
        assert!(diff.contains("\n-        privileged: true\n"), "{diff}");
        assert!(diff.contains("\n+        privileged: false\n"), "{diff}");
        assert!(
            diff.contains("\n         runAsUser: 0\n"),
            "context lines: {diff}"
        );
        assert!(diff.starts_with("@@ -"), "{diff}");
    }
}
