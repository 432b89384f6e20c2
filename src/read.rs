//! Stage 2, read: a file (or stdin) to its documents, ready to segment.
//!
//! In: the path of one regular file (`-` is stdin) and the [`ReadOptions`].
//! Out: a [`Source`]: the file's text, decompressed and decoded to UTF-8, with what was done to
//! it; a JSON Lines text yields its records' lines ([`Text::record_lines`]), each parsed on its
//! own. A file with a NUL byte in its first 8 KiB (after decompression, and
//! unless it starts with a UTF-16 byte order mark) is [`Source::Binary`].
//!
//! - Compression: gzip (also multi-member, as `cat a.gz b.gz` makes) and zstd are recognised by
//!   their magic bytes, whatever the name; a `.gz`/`.zst` name whose content is neither is an
//!   error. Decompression streams from the file, so only the decompressed text is held.
//! - Encoding: UTF-8, with a byte order mark skipped (offsets still count it). UTF-16 with a byte
//!   order mark is transcoded to UTF-8. Bytes that are not UTF-8 are read as U+FFFD and the
//!   caller warns, unless [`Encoding::Latin1`] was asked for: then such a file is read as
//!   Latin-1 (ISO 8859-1). Offsets of a transcoded or decompressed file count bytes of the text
//!   as decoded (UTF-8), not of the file on disk.
//! - JSON Lines: one JSON object per line (blank lines are skipped); the text is the string in
//!   `text_field`, the optional id the value of `id_field` (a string, or any other JSON value
//!   written compactly). Offsets count bytes of the decoded string. A line that is not such an
//!   object is a [`RecordError`] naming its line; the other records are still read.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

/// How much of a file is searched for a NUL byte to call it binary.
pub const BINARY_PROBE: usize = 8 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const GZIP_MAGIC: &[u8] = b"\x1F\x8B";
const ZSTD_MAGIC: &[u8] = b"\x28\xB5\x2F\xFD";

/// The path that stands for standard input.
pub const STDIN: &str = "-";

/// How to read bytes that are not UTF-8; serialized as in the report's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Encoding {
    /// Invalid bytes become U+FFFD (with a warning for the file).
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// A file that is not valid UTF-8 is read as Latin-1.
    #[serde(rename = "latin1")]
    Latin1,
}

/// How to read the inputs.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Read every file as JSON Lines (else only `.jsonl` and `.ndjson` files).
    pub jsonl: bool,
    /// The field holding a record's text.
    pub text_field: String,
    /// The field holding a record's id.
    pub id_field: Option<String>,
    /// What to do with bytes that are not UTF-8.
    pub encoding: Encoding,
    /// The most bytes a file may hold once decompressed; a larger one is an error naming it.
    pub max_file_size: u64,
}

/// The default of `--max-file-size`: 4 GiB, decompressed. A file that large needs about 13 GB of
/// memory to match; a decompression bomb of 10 GB stops here instead of taking the machine.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 4 << 30;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            jsonl: false,
            text_field: "text".to_owned(),
            id_field: None,
            encoding: Encoding::Utf8,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// The error for a file over `--max-file-size`.
fn too_large(max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("larger than --max-file-size ({max} bytes)"),
    )
}

/// A compression format; serialized by its name in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// gzip (RFC 1952).
    Gzip,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// Its name in the report and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    fn of_name(path: &Path) -> Option<Compression> {
        match path.extension()?.to_str()? {
            e if e.eq_ignore_ascii_case("gz") => Some(Compression::Gzip),
            e if e.eq_ignore_ascii_case("zst") => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// How the bytes of a text were decoded; serialized by its name in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Decoding {
    /// UTF-8 as it was (possibly with U+FFFD for invalid bytes).
    #[serde(rename = "utf-8")]
    Utf8,
    /// UTF-16 little endian, transcoded.
    #[serde(rename = "utf-16le")]
    Utf16Le,
    /// UTF-16 big endian, transcoded.
    #[serde(rename = "utf-16be")]
    Utf16Be,
    /// Latin-1, transcoded.
    #[serde(rename = "latin1")]
    Latin1,
}

/// A text file, read and decoded.
#[derive(Debug)]
pub struct Text {
    /// The text: UTF-8, except for invalid bytes when `valid_utf8` is false.
    pub bytes: Vec<u8>,
    /// Where the text starts: 3 after a UTF-8 byte order mark, else 0.
    pub text_start: usize,
    /// Whether `bytes` are valid UTF-8 (invalid UTF-16 counts as invalid).
    pub valid_utf8: bool,
    /// The compression it was stored with.
    pub compression: Option<Compression>,
    /// How it was decoded.
    pub decoding: Decoding,
    /// Whether it is JSON Lines.
    pub jsonl: bool,
    /// A hash of `bytes`, to tell whether the file changed when it is read again.
    pub hash: u64,
    /// Whether it can be read again: false for stdin and pipes.
    pub rereadable: bool,
}

/// What reading a file gave.
#[derive(Debug)]
pub enum Source {
    /// A text or JSON Lines file.
    Text(Text),
    /// A binary file, skipped.
    Binary {
        /// The bytes read to tell (at most [`BINARY_PROBE`], after decompression).
        size: u64,
    },
}

/// One line of a JSON Lines text: a record to parse.
#[derive(Debug, Clone, Copy)]
pub struct RecordLine<'a> {
    /// Its 1-based line in the file.
    pub line: u32,
    /// Where it starts in the text after the byte order mark, as [`Text::record_at`] takes it.
    pub offset: usize,
    /// Its bytes, without the line end.
    pub bytes: &'a [u8],
}

impl RecordLine<'_> {
    /// The record on this line: `None` for a blank line, an error naming the line for one that is
    /// not a record.
    pub fn parse(&self, options: &ReadOptions) -> Result<Option<Record>, RecordError> {
        parse_record(self.bytes, options).map_err(|message| RecordError {
            line: self.line,
            message,
        })
    }
}

/// A JSON Lines record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// Its 1-based line in the file.
    pub line: u32,
    /// What is wrong with it.
    pub message: String,
}

/// A text's hash as the report writes it (`files[].text_hash`) and `dedup apply` checks it:
/// 16 hex digits.
pub fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// Reads and decodes one file, or stdin for [`STDIN`]. A binary file is read only as far as
/// its first 8 KiB.
pub fn read(path: &Path, options: &ReadOptions) -> io::Result<Source> {
    let jsonl = jsonl_wanted(path, options);
    if path == Path::new(STDIN) {
        return read_from(io::stdin().lock(), false, path, jsonl, options);
    }
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.len() > options.max_file_size {
        return Err(too_large(options.max_file_size));
    }
    if metadata.is_file() {
        read_regular(file, metadata.len(), path, jsonl, options)
    } else {
        read_from(file, false, path, jsonl, options)
    }
}

/// [`read_from`] for a regular file of `size` bytes: read straight into one buffer of that size,
/// with no reader in between (most files take two reads: the bytes, then the end); a compressed
/// one goes through [`read_from`] from the bytes read so far.
fn read_regular(
    mut file: std::fs::File,
    size: u64,
    path: &Path,
    jsonl: bool,
    options: &ReadOptions,
) -> io::Result<Source> {
    // Room for the whole file at once when memory allows; else it grows as it is read, so that
    // a binary file is still told from its first bytes.
    let mut bytes = Vec::new();
    let whole = usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    if bytes.try_reserve_exact(whole).is_err() {
        grow(&mut bytes, BINARY_PROBE)?;
    }
    let ended = read_up_to(&mut file, &mut bytes, BINARY_PROBE, size)?;
    let compressed = bytes.starts_with(GZIP_MAGIC)
        || bytes.starts_with(ZSTD_MAGIC)
        || Compression::of_name(path).is_some();
    if compressed {
        let rest = io::Cursor::new(bytes).chain(file);
        return read_from(rest, true, path, jsonl, options);
    }
    if is_binary(&bytes) {
        return Ok(Source::Binary {
            size: bytes.len() as u64,
        });
    }
    if !ended {
        read_up_to(&mut file, &mut bytes, usize::MAX, size)?;
    }
    Ok(match decode(bytes, None, jsonl, options) {
        Source::Text(text) => Source::Text(Text {
            rereadable: true,
            ..text
        }),
        binary => binary,
    })
}

/// Makes room for `more` bytes in `bytes`, or says that memory ran out ([`out_of_memory`]).
fn grow(bytes: &mut Vec<u8>, more: usize) -> io::Result<()> {
    bytes
        .try_reserve(more)
        .map_err(|_| out_of_memory(bytes.len()))
}

/// The error of a file that does not fit in memory after `held` bytes: it names the flag that
/// skips such files, instead of the allocator's "out of memory" (or an abort).
fn out_of_memory(held: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!(
            "not enough memory to hold it ({held} bytes read); --max-file-size skips files this large"
        ),
    )
}

/// Reads from `file` (a regular file of `size` bytes when it was opened) onto `bytes` until they
/// hold `limit` bytes or the file ends; whether it ended. A read that returns fewer bytes than
/// asked once `size` bytes are in is the end (a regular file returns less only there), so a
/// file takes one read, not a second one to meet the end. Room grows only when the file is
/// longer than `bytes` had room for; at most a MiB of it is zeroed ahead of each read.
fn read_up_to(
    file: &mut std::fs::File,
    bytes: &mut Vec<u8>,
    limit: usize,
    size: u64,
) -> io::Result<bool> {
    while bytes.len() < limit {
        if bytes.len() == bytes.capacity() {
            grow(bytes, bytes.capacity().max(BINARY_PROBE))?;
        }
        let start = bytes.len();
        let end = bytes.capacity().min(limit).min(start + (1 << 20));
        bytes.resize(end, 0);
        let read = file.read(&mut bytes[start..]);
        bytes.truncate(start + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => return Ok(true),
            Ok(n) if n < end - start && bytes.len() as u64 >= size => return Ok(true),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Whether `path` is read as JSON Lines.
fn jsonl_wanted(path: &Path, options: &ReadOptions) -> bool {
    let name = if Compression::of_name(path).is_some() {
        path.file_stem().map(Path::new)
    } else {
        Some(path)
    };
    options.jsonl
        || name
            .and_then(Path::extension)
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"))
}

/// Reads everything from `input`, decompressing gzip or zstd found by magic bytes, and decodes
/// it; stops after the first 8 KiB of a binary file. `rereadable`: the input is a regular file,
/// which can be read again (stdin and pipes cannot).
fn read_from(
    input: impl Read,
    rereadable: bool,
    path: &Path,
    jsonl: bool,
    options: &ReadOptions,
) -> io::Result<Source> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let head = input.fill_buf()?;
    let compression = if head.starts_with(GZIP_MAGIC) {
        Some(Compression::Gzip)
    } else if head.starts_with(ZSTD_MAGIC) {
        Some(Compression::Zstd)
    } else if let Some(named) = Compression::of_name(path).filter(|_| !head.is_empty()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("named .{} but not {} data", suffix(named), named.name()),
        ));
    } else {
        None
    };
    let mut text: Box<dyn Read + '_> = match compression {
        None => Box::new(input),
        Some(Compression::Gzip) => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        Some(Compression::Zstd) => Box::new(ZstdFrames {
            decoder: Some(zstd_frame(input)?),
        }),
    };
    let mut bytes = Vec::new();
    let named = |e: io::Error, held: usize| {
        let e = match e.kind() {
            io::ErrorKind::OutOfMemory => out_of_memory(held),
            _ => e,
        };
        match compression {
            Some(c) => io::Error::new(e.kind(), format!("{}: {e}", c.name())),
            None => e,
        }
    };
    (&mut text)
        .take(BINARY_PROBE as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| named(e, 0))?;
    if is_binary(&bytes) {
        return Ok(Source::Binary {
            size: bytes.len() as u64,
        });
    }
    // One byte more than the limit tells a file over it, without holding more.
    let room = options.max_file_size.saturating_sub(bytes.len() as u64) + 1;
    let read = (&mut text).take(room).read_to_end(&mut bytes);
    read.map_err(|e| named(e, bytes.len()))?;
    if bytes.len() as u64 > options.max_file_size {
        return Err(named(too_large(options.max_file_size), bytes.len()));
    }
    Ok(match decode(bytes, compression, jsonl, options) {
        Source::Text(text) => Source::Text(Text { rereadable, ..text }),
        binary => binary,
    })
}

type ZstdDecoder<R> = ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>;

fn zstd_frame<R: BufRead>(input: R) -> io::Result<ZstdDecoder<R>> {
    ruzstd::decoding::StreamingDecoder::new(input)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))
}

/// A zstd stream of one or more frames, as `zstd -c b >> all.zst` makes.
struct ZstdFrames<R: BufRead> {
    decoder: Option<ZstdDecoder<R>>,
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(decoder) = &mut self.decoder {
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The frame ended: its content checksum, when it has one, must match what was
            // decoded (ruzstd computes it but does not compare); another frame may follow.
            let Some(decoder) = self.decoder.take() else {
                break;
            };
            let frame = &decoder.decoder;
            if let (Some(stored), Some(computed)) = (
                frame.get_checksum_from_data(),
                frame.get_calculated_checksum(),
            ) && stored != computed
            {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "zstd: the content checksum does not match: the stream is corrupt",
                ));
            }
            let mut input = decoder.into_inner();
            if !input.fill_buf()?.is_empty() {
                self.decoder = Some(zstd_frame(input)?);
            }
        }
        Ok(0)
    }
}

/// A NUL byte in the first 8 KiB, unless the text starts with a UTF-16 byte order mark.
fn is_binary(bytes: &[u8]) -> bool {
    utf16_bom(bytes).is_none() && bytes[..bytes.len().min(BINARY_PROBE)].contains(&0)
}

fn utf16_bom(bytes: &[u8]) -> Option<Decoding> {
    if bytes.starts_with(b"\xFF\xFE") {
        Some(Decoding::Utf16Le)
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some(Decoding::Utf16Be)
    } else {
        None
    }
}

fn suffix(compression: Compression) -> &'static str {
    match compression {
        Compression::Gzip => "gz",
        Compression::Zstd => "zst",
    }
}

/// Decodes bytes already read: binary or text, and in which encoding.
pub fn decode(
    bytes: Vec<u8>,
    compression: Option<Compression>,
    jsonl: bool,
    options: &ReadOptions,
) -> Source {
    if is_binary(&bytes) {
        return Source::Binary {
            size: bytes.len() as u64,
        };
    }
    let (bytes, decoding, valid_utf8) = match utf16_bom(&bytes) {
        Some(decoding) => {
            let (text, valid) = transcode_utf16(&bytes[2..], decoding == Decoding::Utf16Be);
            (text.into_bytes(), decoding, valid)
        }
        None => {
            let valid = std::str::from_utf8(&bytes).is_ok();
            if !valid && options.encoding == Encoding::Latin1 {
                let text: String = bytes.iter().map(|&b| char::from(b)).collect();
                (text.into_bytes(), Decoding::Latin1, true)
            } else {
                (bytes, Decoding::Utf8, valid)
            }
        }
    };
    let text_start = if bytes.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    Source::Text(Text {
        hash: xxh3_64(&bytes),
        rereadable: true,
        bytes,
        text_start,
        valid_utf8,
        compression,
        decoding,
        jsonl,
    })
}

/// UTF-16 code units to a string; unpaired surrogates and an odd last byte become U+FFFD.
fn transcode_utf16(bytes: &[u8], big_endian: bool) -> (String, bool) {
    let units = bytes.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut valid = bytes.len().is_multiple_of(2);
    let mut text = String::with_capacity(bytes.len());
    for c in char::decode_utf16(units) {
        text.push(c.unwrap_or_else(|_| {
            valid = false;
            char::REPLACEMENT_CHARACTER
        }));
    }
    if !bytes.len().is_multiple_of(2) {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    (text, valid)
}

impl Text {
    /// Parses the JSON Lines record whose line starts `offset` bytes after the text's start.
    pub fn record_at(
        &self,
        offset: usize,
        options: &ReadOptions,
    ) -> Result<Option<Record>, String> {
        let rest = self
            .bytes
            .get(self.text_start + offset..)
            .unwrap_or_default();
        let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
        parse_record(line.strip_suffix(b"\r").unwrap_or(line), options)
    }

    /// The lines of a JSON Lines text, in file order; collected, they can be parsed in parallel.
    pub fn record_lines(&self) -> impl Iterator<Item = RecordLine<'_>> {
        let bytes = &self.bytes[self.text_start..];
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let mut offset = 0;
        bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(move |_| !bytes.is_empty())
            .map(move |(i, line)| {
                let at = offset;
                offset += line.len() + 1;
                RecordLine {
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    offset: at,
                    bytes: line.strip_suffix(b"\r").unwrap_or(line),
                }
            })
    }
}

/// One JSON Lines record: its text and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The text field's string.
    pub text: String,
    /// The id field's value, when asked for and present.
    pub id: Option<String>,
}

/// Parses one line of a JSON Lines file: `Ok(None)` for a blank line, an error message for a
/// line that is not a JSON object with a string in the text field.
pub fn parse_record(line: &[u8], options: &ReadOptions) -> Result<Option<Record>, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let seed = RecordSeed {
        text_field: &options.text_field,
        id_field: options.id_field.as_deref(),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(line);
    let fields = seed
        .deserialize(&mut deserializer)
        .and_then(|fields| deserializer.end().map(|()| fields))
        .map_err(|e| format!("malformed JSON record: {e}"))?;
    match fields.text {
        Some(serde_json::Value::String(text)) => Ok(Some(Record {
            text,
            id: fields.id.and_then(|id| match id {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                other => Some(other.to_string()),
            }),
        })),
        Some(other) => Err(format!(
            "field \"{}\" is not a string but {}",
            options.text_field,
            json_type(&other)
        )),
        None => Err(format!("record has no \"{}\" field", options.text_field)),
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Reads the two wanted fields of a JSON object and skips the others without building them.
struct RecordSeed<'a> {
    text_field: &'a str,
    id_field: Option<&'a str>,
}

#[derive(Default)]
struct RecordFields {
    text: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = RecordFields;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<RecordFields, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = RecordFields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecordFields, A::Error> {
        let mut fields = RecordFields::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.text_field {
                fields.text = Some(map.next_value()?);
            } else if Some(&*key) == self.id_field {
                fields.id = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(source: Source) -> Text {
        match source {
            Source::Text(text) => text,
            Source::Binary { .. } => panic!("text read as binary"),
        }
    }

    fn plain(bytes: &[u8]) -> Source {
        decode(bytes.to_vec(), None, false, &ReadOptions::default())
    }

    #[test]
    fn nul_in_the_first_8_kib_means_binary() {
        assert!(matches!(
            plain(b"PK\x03\x04\x00\x00"),
            Source::Binary { .. }
        ));
        let mut late = vec![b'a'; BINARY_PROBE];
        late.push(0);
        assert!(matches!(plain(&late), Source::Text(_)));
    }

    #[test]
    fn bom_and_invalid_utf8() {
        let t = text(plain(b"\xEF\xBB\xBFhi \xff"));
        assert_eq!(t.text_start, 3);
        assert!(!t.valid_utf8);
        assert_eq!(t.decoding, Decoding::Utf8);
    }

    #[test]
    fn latin1_only_when_asked() {
        let latin1 = ReadOptions {
            encoding: Encoding::Latin1,
            ..ReadOptions::default()
        };
        let t = text(decode(b"caf\xe9".to_vec(), None, false, &latin1));
        assert_eq!(t.bytes, "café".as_bytes());
        assert_eq!(t.decoding, Decoding::Latin1);
        // Valid UTF-8 stays UTF-8 even when Latin-1 is allowed.
        let t = text(decode("café".as_bytes().to_vec(), None, false, &latin1));
        assert_eq!(t.decoding, Decoding::Utf8);
    }

    #[test]
    fn utf16_with_a_bom_is_transcoded() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in "Grüße\n€".encode_utf16() {
            le.extend(unit.to_le_bytes());
            be.extend(unit.to_be_bytes());
        }
        for (bytes, decoding) in [(le, Decoding::Utf16Le), (be, Decoding::Utf16Be)] {
            let t = text(plain(&bytes));
            assert_eq!(t.bytes, "Grüße\n€".as_bytes());
            assert_eq!(t.decoding, decoding);
            assert!(t.valid_utf8);
        }
        // An unpaired surrogate is replaced and makes the text invalid.
        let t = text(plain(&[0xFF, 0xFE, b'a', 0, 0x00, 0xD8]));
        assert_eq!(t.bytes, "a\u{FFFD}".as_bytes());
        assert!(!t.valid_utf8);
    }

    #[test]
    fn records_give_text_and_id_and_errors_name_their_line() {
        let options = ReadOptions {
            jsonl: true,
            id_field: Some("id".to_owned()),
            ..ReadOptions::default()
        };
        let file = b"{\"id\": 7, \"text\": \"a\\nb\", \"x\": [1, {\"y\": 2}]}\r\n\n{\"text\": 3}\n{bad\n{\"id\": \"z\", \"text\": \"c\"}\n";
        let t = text(decode(file.to_vec(), None, true, &options));
        let mut seen = Vec::new();
        let mut errors = Vec::new();
        for line in t.record_lines() {
            match line.parse(&options) {
                Ok(Some(r)) => seen.push((line.line, line.offset, r.id, r.text)),
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        assert_eq!(
            seen,
            [
                (1, 0, Some("7".to_owned()), "a\nb".to_owned()),
                (5, file.len() - 25, Some("z".to_owned()), "c".to_owned())
            ]
        );
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].message.contains("not a string"), "{errors:?}");
        assert_eq!(errors[1].line, 4);
        assert!(errors[1].message.contains("malformed JSON"), "{errors:?}");
        // A record is found again from where its line starts.
        let record = t.record_at(file.len() - 25, &options).unwrap().unwrap();
        assert_eq!(record.text, "c");
        assert_eq!(record.id.as_deref(), Some("z"));
    }

    #[test]
    fn trailing_data_after_a_record_is_an_error() {
        let options = ReadOptions::default();
        assert!(parse_record(b"{\"text\": \"a\"} {}", &options).is_err());
        assert!(parse_record(b"[\"text\"]", &options).is_err());
        assert_eq!(parse_record(b"  ", &options), Ok(None));
    }
}
