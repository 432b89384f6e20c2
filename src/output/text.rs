//! The `text` format: the report for a person at a terminal, sized for a screen.
//!
//! In: the [`Report`] and the [`TextOptions`] (how many items per section, colour or not). Out:
//! lines of text: the summary; the largest clusters, each with its representative's first words
//! and where its copies are (`path:line`), every near member shown as a word-level diff against
//! the representative; the partial matches that share the longest runs, with the text they
//! share; the longest copied passages; the files with most duplicated bytes; and after each
//! section how many more there are. Control characters in names and texts are escaped
//! ([`walk::escape_controls`]). The JSON report holds everything.

use std::cmp::Reverse;
use std::io::{self, Write};

use crate::cluster::Kind;
use crate::report::{ClusterReport, Member, PartialReport, Report, Section};
use crate::walk;

/// What the text view shows.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// Items shown per section.
    pub limit: usize,
    /// ANSI colours.
    pub color: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            limit: 10,
            color: false,
        }
    }
}

/// Members shown per cluster.
const MEMBERS_SHOWN: usize = 3;
/// Characters of a quoted text shown.
const QUOTE_CHARS: usize = 100;
/// Unchanged words kept on each side of a change in a diff; longer unchanged runs are elided.
const DIFF_CONTEXT: usize = 4;
/// Partial matches read per shared-text group shown, to group them by their text.
const GROUP_SCAN: usize = 20;
/// Paragraphs longer than this many words are not diffed (the diff is quadratic).
const DIFF_MAX_WORDS: usize = 3000;

/// ANSI styles, or nothing without colour.
#[derive(Clone, Copy)]
struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
    fn kind(&self, kind: Kind) -> String {
        let (code, name) = match kind {
            Kind::Exact => ("1;36", "exact"),
            Kind::Near => ("1;33", "near"),
            Kind::Template => ("1;35", "template"),
        };
        self.paint(code, name)
    }
    fn removed(&self, word: &str) -> String {
        if self.color {
            self.paint("31;9", word)
        } else {
            format!("[-{word}-]")
        }
    }
    fn added(&self, word: &str) -> String {
        if self.color {
            self.paint("32", word)
        } else {
            format!("{{+{word}+}}")
        }
    }
}

/// Writes the text view of `report`.
pub(super) fn write(
    out: &mut dyn Write,
    report: &Report<'_>,
    options: TextOptions,
) -> io::Result<()> {
    let style = Style {
        color: options.color,
    };
    summary(out, report, style)?;
    clusters(out, report, options, style)?;
    partial_matches(out, report, options, style)?;
    passages(out, report, options, style)?;
    files(out, report, options, style)?;
    problems(out, report, style)?;
    writeln!(
        out,
        "\n{}",
        style.dim("The JSON report has every item: dedup --format json PATH | jq")
    )
}

fn summary(out: &mut dyn Write, report: &Report<'_>, style: Style) -> io::Result<()> {
    let s = &report.summary;
    writeln!(
        out,
        "{} {} files, {} paragraphs, {} bytes",
        style.bold("dedup:"),
        s.files,
        s.paragraphs,
        s.bytes
    )?;
    writeln!(out, "  {}", s.clusters_line())?;
    writeln!(
        out,
        "  {} partial matches, {} copied passages",
        s.partial_matches + s.partial_matches_omitted,
        s.passages
    )
}

/// A section's heading: its name, how many of how many items are shown.
fn heading(
    out: &mut dyn Write,
    style: Style,
    name: &str,
    shown: usize,
    total: usize,
) -> io::Result<()> {
    let more = if shown < total {
        format!(" ({shown} of {total}; --limit N shows more)")
    } else {
        String::new()
    };
    writeln!(out, "\n{}{more}", style.bold(name))
}

fn clusters(
    out: &mut dyn Write,
    report: &Report<'_>,
    options: TextOptions,
    style: Style,
) -> io::Result<()> {
    let all = &report.clusters;
    if all.is_empty() {
        return Ok(());
    }
    let shown: Vec<ClusterReport<'_>> = largest_first(all, |c| c.size)
        .into_iter()
        .take(options.limit)
        .map(|i| all.get(i))
        .collect();
    heading(
        out,
        style,
        "Clusters, largest first",
        shown.len(),
        all.len(),
    )?;
    // The texts of the near members shown, read again together.
    let mut ids: Vec<u32> = shown
        .iter()
        .filter(|c| c.kind != Kind::Exact)
        .flat_map(|c| c.members.iter().take(MEMBERS_SHOWN).map(|m| m.paragraph_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let texts = report.texts.read(&ids);
    let text_of = |id: u32| {
        ids.binary_search(&id)
            .ok()
            .and_then(|i| texts[i].as_deref())
    };
    for (rank, c) in shown.iter().enumerate() {
        let similarities = c.members[1..].iter().filter_map(|m| m.similarity);
        let lowest = similarities.clone().fold(1.0f64, f64::min);
        let range = if c.kind == Kind::Exact || lowest >= 1.0 {
            String::new()
        } else {
            format!(", similarity {lowest:.2}–1.00")
        };
        writeln!(
            out,
            "{:>3}. {} ×{}, {} words{range}  {}",
            rank + 1,
            style.kind(c.kind),
            c.size,
            c.words,
            style.dim(&c.id.to_string())
        )?;
        writeln!(out, "     \"{}\"", quote(&c.text))?;
        let representative = text_of(c.members[0].paragraph_id);
        let shown = c.members.len().min(MEMBERS_SHOWN);
        // The representative, then the copies in the inputs before other reference text.
        let mut order: Vec<usize> = (1..c.members.len()).collect();
        order.sort_by_key(|&i| c.members[i].reference);
        let members = std::iter::once(0).chain(order).map(|i| &c.members[i]);
        for (i, m) in members.take(shown).enumerate() {
            let mut line = format!("     {}", place(m));
            if m.reference {
                line += &format!(" {}", style.dim("(reference)"));
            }
            if i == 0 {
                line += &format!(" {}", style.dim("(representative)"));
            } else if c.kind != Kind::Exact {
                let similarity = m.similarity.unwrap_or(1.0);
                line += &match (representative, text_of(m.paragraph_id)) {
                    (Some(a), Some(b)) if a != b => {
                        format!(" {similarity:.2}: {}", diff(a, b, style))
                    }
                    (Some(_), Some(_)) => format!(" {}", style.dim("(the same bytes)")),
                    _ => format!(" {similarity:.2}"),
                };
            }
            if i + 1 == shown && c.members.len() > shown {
                line += &format!(
                    " {}",
                    style.dim(&format!("(and {} more)", c.members.len() - shown))
                );
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

fn partial_matches(
    out: &mut dyn Write,
    report: &Report<'_>,
    options: TextOptions,
    style: Style,
) -> io::Result<()> {
    let all = &report.partial_matches;
    if all.is_empty() {
        return Ok(());
    }
    let (groups, scanned) = shared_groups(report, options.limit);
    writeln!(
        out,
        "\n{} {}",
        style.bold("Shared text, longest first"),
        style.dim(&format!(
            "({} texts shared by the {} partial matches with the longest runs, of {})",
            groups.len(),
            scanned,
            all.len()
        ))
    )?;
    for SharedGroup {
        text,
        words,
        places,
    } in &groups
    {
        let (count, text) = (places.len(), quote(text));
        writeln!(out, "     {words} words in {count} places: \"{text}\"")?;
        let (listed, rest) = places.split_at(places.len().min(MEMBERS_SHOWN));
        let more = if rest.is_empty() {
            String::new()
        } else {
            format!(" {}", style.dim(&format!("(and {} more)", rest.len())))
        };
        writeln!(out, "       {}{more}", listed.join(", "))?;
    }
    if report.summary.partial_matches_omitted > 0 {
        writeln!(
            out,
            "     {}",
            style.dim(&format!(
                "and {} between further copies of the same texts, counted, not listed",
                report.summary.partial_matches_omitted
            ))
        )?;
    }
    Ok(())
}

fn passages(
    out: &mut dyn Write,
    report: &Report<'_>,
    options: TextOptions,
    style: Style,
) -> io::Result<()> {
    let all = &report.passages;
    if all.is_empty() {
        return Ok(());
    }
    let order = largest_first(all, |p| p.paragraphs);
    heading(
        out,
        style,
        "Copied passages, longest first",
        order.len().min(options.limit),
        all.len(),
    )?;
    for &i in order.iter().take(options.limit) {
        let p = all.get(i);
        writeln!(
            out,
            "     {} paragraphs: {}-{} and {}-{}",
            p.paragraphs,
            place(&p.a),
            p.a.end_line,
            place(&p.b),
            p.b.end_line
        )?;
    }
    Ok(())
}

fn files(
    out: &mut dyn Write,
    report: &Report<'_>,
    options: TextOptions,
    style: Style,
) -> io::Result<()> {
    let (files, with_duplicates) = report.most_duplicated_files(options.limit);
    if files.is_empty() {
        return Ok(());
    }
    heading(
        out,
        style,
        "Files with most duplicated bytes",
        files.len(),
        with_duplicates,
    )?;
    for f in &files {
        writeln!(
            out,
            "     {:>10} bytes {:>5.1}%  {}",
            f.duplicate_bytes,
            f.duplicate_ratio * 100.0,
            walk::escape_controls(f.path)
        )?;
    }
    Ok(())
}

fn problems(out: &mut dyn Write, report: &Report<'_>, style: Style) -> io::Result<()> {
    let (w, e) = (report.warnings.len(), report.errors.len());
    if w + e > 0 {
        writeln!(
            out,
            "\n{}",
            style.bold(&format!(
                "{e} errors, {w} warnings: on stderr, and in the JSON report's errors and warnings"
            ))
        )?;
    }
    Ok(())
}

/// A run of words shared by several paragraphs: its text (white space collapsed, escaped), its
/// length and every place it is in (`path:line`).
pub(super) struct SharedGroup {
    pub(super) text: String,
    pub(super) words: u32,
    pub(super) places: Vec<String>,
}

/// At most `limit` texts shared by the partial matches with the longest runs (`limit` ×
/// [`GROUP_SCAN`] of them read), grouped by the text of each match's longest run, longest first;
/// and how many matches were read.
pub(super) fn shared_groups(report: &Report<'_>, limit: usize) -> (Vec<SharedGroup>, usize) {
    let all = &report.partial_matches;
    let longest = |p: &PartialReport<'_>| p.shared.iter().map(|s| s.words).max();
    let candidates: Vec<_> = largest_first(all, longest)
        .into_iter()
        .take(limit.saturating_mul(GROUP_SCAN))
        .map(|i| all.get(i))
        .collect();
    let mut ids: Vec<u32> = candidates.iter().map(|p| p.a.paragraph_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let texts = report.texts.read(&ids);
    let mut groups: Vec<SharedGroup> = Vec::new();
    for p in &candidates {
        let Some(span) = p
            .shared
            .iter()
            .max_by_key(|s| (s.words, Reverse(s.a_start)))
        else {
            continue;
        };
        let text = ids
            .binary_search(&p.a.paragraph_id)
            .ok()
            .and_then(|i| texts[i].as_deref())
            .and_then(|t| t.get(span.a_start - p.a.start..span.a_end - p.a.start))
            .map(|t| {
                walk::escape_controls(&t.split_whitespace().collect::<Vec<_>>().join(" "))
                    .into_owned()
            })
            .unwrap_or_default();
        let places = [place(&p.a), place(&p.b)];
        if let Some(group) = groups.iter_mut().find(|g| g.text == text) {
            for place in places {
                if !group.places.contains(&place) {
                    group.places.push(place);
                }
            }
        } else if groups.len() < limit {
            groups.push(SharedGroup {
                text,
                words: span.words,
                places: places.into(),
            });
        }
    }
    (groups, candidates.len())
}

/// The indices of a section's items by `key`, largest first; of equal keys, in report order.
pub(super) fn largest_first<T: Send, K: Ord>(
    section: &Section<'_, T>,
    key: impl Fn(&T) -> K,
) -> Vec<usize> {
    let mut keyed: Vec<(Reverse<K>, usize)> = section
        .block_ranges()
        .zip(section.blocks())
        .flat_map(|(range, block)| {
            let keys: Vec<K> = block.iter().map(&key).collect();
            keys.into_iter().map(Reverse).zip(range)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// `path:line`, or `path:record:line` for a JSON Lines record, escaped.
pub(super) fn place(m: &Member<'_>) -> String {
    let path = walk::escape_controls(m.path);
    match m.record {
        Some(record) => format!("{path}:{record}:{}", m.line),
        None => format!("{path}:{}", m.line),
    }
}

/// The first [`QUOTE_CHARS`] characters of a text on one line, escaped, with `…` when cut.
fn quote(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = line.chars().take(QUOTE_CHARS).collect();
    let cut = if cut.len() < line.len() {
        cut + "…"
    } else {
        cut
    };
    walk::escape_controls(&cut).into_owned()
}

/// What changed from `a` to `b`, word by word (control characters escaped): `b`'s words, those
/// not in `a` marked added and `a`'s words not in `b` marked removed where they stood, unchanged
/// runs longer than twice [`DIFF_CONTEXT`] elided. Empty when either is too long to diff.
fn diff(a: &str, b: &str, style: Style) -> String {
    let words = |text: &str| -> Vec<String> {
        text.split_whitespace()
            .map(|w| walk::escape_controls(w).into_owned())
            .collect()
    };
    let (a, b) = (words(a), words(b));
    if a.len() > DIFF_MAX_WORDS || b.len() > DIFF_MAX_WORDS {
        return String::new();
    }
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let b: Vec<&str> = b.iter().map(String::as_str).collect();
    let ops = word_diff(&a, &b);
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ops.len() {
        match ops[i] {
            Op::Same(_) => {
                let end = (i..ops.len())
                    .find(|&j| !matches!(ops[j], Op::Same(_)))
                    .unwrap_or(ops.len());
                let run: Vec<&str> = ops[i..end]
                    .iter()
                    .map(|op| match op {
                        Op::Same(w) | Op::Removed(w) | Op::Added(w) => *w,
                    })
                    .collect();
                let keep_before = if i == 0 { 0 } else { DIFF_CONTEXT };
                let keep_after = if end == ops.len() { 0 } else { DIFF_CONTEXT };
                if run.len() > keep_before + keep_after + 1 {
                    parts.extend(run[..keep_before].iter().map(|w| w.to_string()));
                    parts.push(style.dim("…"));
                    parts.extend(run[run.len() - keep_after..].iter().map(|w| w.to_string()));
                } else {
                    parts.extend(run.iter().map(|w| w.to_string()));
                }
                i = end;
            }
            Op::Removed(_) | Op::Added(_) => {
                // A run of changes: what was removed, then what was added.
                let end = (i..ops.len())
                    .find(|&j| matches!(ops[j], Op::Same(_)))
                    .unwrap_or(ops.len());
                let words = |removed: bool| -> Vec<&str> {
                    ops[i..end]
                        .iter()
                        .filter_map(|op| match op {
                            Op::Removed(w) if removed => Some(*w),
                            Op::Added(w) if !removed => Some(*w),
                            _ => None,
                        })
                        .collect()
                };
                let (removed, added) = (words(true), words(false));
                if !removed.is_empty() {
                    parts.push(style.removed(&removed.join(" ")));
                }
                if !added.is_empty() {
                    parts.push(style.added(&added.join(" ")));
                }
                i = end;
            }
        }
    }
    parts.join(" ")
}

/// One step of a word diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// The shortest edit from `a` to `b` by a longest common subsequence of words.
fn word_diff<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if a[i] == b[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n.max(m));
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Same(a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[at(i, j + 1)] >= lcs[at(i + 1, j)]) {
            ops.push(Op::Added(b[j]));
            j += 1;
        } else {
            ops.push(Op::Removed(a[i]));
            i += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_diff_marks_what_changed_and_elides_what_did_not() {
        let plain = Style { color: false };
        let a = "BEIRUT: Clashes have erupted on the Syrian-Iraqi border between Daesh militants and \
                 Iraqi forces, a monitor said on Sunday.";
        let b = "Clashes have broken out on the Syrian-Iraqi border between Daesh militants and \
                 Iraqi forces, a monitor said on Sunday.";
        let shown = diff(a, b, plain);
        assert_eq!(
            shown,
            "[-BEIRUT:-] Clashes have [-erupted-] {+broken out+} on the Syrian-Iraqi border …"
        );
        // Nothing changed: nothing marked, the middle elided.
        let same = diff(a, a, plain);
        assert!(!same.contains("[-") && !same.contains("{+"), "{same}");
        // With colour, escapes instead of markers.
        let colored = diff(a, b, Style { color: true });
        assert!(colored.contains("\x1b[32mbroken out\x1b[0m"), "{colored}");
    }

    #[test]
    fn the_word_diff_is_a_longest_common_subsequence() {
        let a = ["a", "b", "c", "d", "e"];
        let b = ["a", "x", "c", "d", "y", "e"];
        let ops = word_diff(&a, &b);
        let same = ops.iter().filter(|op| matches!(op, Op::Same(_))).count();
        assert_eq!(same, 4);
        let from_a: Vec<&str> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Same(w) | Op::Removed(w) => Some(*w),
                Op::Added(_) => None,
            })
            .collect();
        let from_b: Vec<&str> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Same(w) | Op::Added(w) => Some(*w),
                Op::Removed(_) => None,
            })
            .collect();
        assert_eq!(from_a, a);
        assert_eq!(from_b, b);
    }
}
