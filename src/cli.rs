//! The command line: the arguments `dedup` takes, checked and lowered to a [`Config`].
//!
//! In: argv. Out: a [`Config`], or clap's error message and exit status 2 for bad arguments
//! (including the checks across flags that clap cannot express).

use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use clap::builder::TypedValueParser;
use clap::{CommandFactory, Parser};
use dedup::apply::{ApplyOptions, Copies, Keep};
use dedup::config::{
    Config, DEFAULT_BOILERPLATE_CAP, DEFAULT_MIN_SHARED_WORDS, DEFAULT_MIN_WORDS, DEFAULT_SHINGLE,
    DEFAULT_THRESHOLD, MIN_SEED_SHINGLE,
};
use dedup::output::{Format, OutputOptions, TextOptions};
use dedup::read::{Encoding, ReadOptions, STDIN};
use dedup::rules::Rules;
use dedup::stage::{Manifest, Shard, Stage};
use dedup::walk::WalkOptions;

const AFTER_HELP: &str = "\
Exit status:
  0  the run finished and no CI rule was broken
  1  a CI rule given on the command line was broken
  2  an error: bad arguments, an unreadable input, a failed write
     (an error wins over a broken rule)

The report goes to stdout (or -o FILE); messages and the summary line go to stderr.";

/// Find exact, near-duplicate and templated paragraphs in a corpus and write one JSON cluster
/// report.
#[derive(Debug, Parser)]
#[command(
    name = "dedup",
    version,
    after_help = AFTER_HELP,
    args_override_self = true,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    subcommand_negates_reqs = true
)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,

    /// Files and directories to read (directories recursively); `-` reads one document from
    /// stdin.
    #[arg(required_unless_present_any = ["files_from", "generate"], value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Write the report to FILE (atomically: a temporary file renamed into place); `-` is stdout.
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    output: Option<PathBuf>,

    /// Report format [default: text when stdout is a terminal and no -o is given, else json:
    /// piped or redirected, the output is the JSON report, byte for byte].
    #[arg(long, value_enum, help_heading = "Output")]
    format: Option<FormatArg>,

    /// Colours in the text format: `auto` on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN", help_heading = "Output")]
    color: ColorArg,

    /// Items shown per section in the text format.
    #[arg(long, default_value_t = 10, value_name = "N", help_heading = "Output")]
    limit: usize,

    /// Also write annotations for a CI system to stdout from the same run, while the report goes
    /// to the file given with -o (its summary notice names that file).
    #[arg(
        long,
        value_enum,
        value_name = "KIND",
        requires = "output",
        help_heading = "Output"
    )]
    annotations: Option<AnnotationsArg>,

    /// Pretty-print the JSON (the default on a terminal).
    #[arg(long, help_heading = "Output")]
    pretty: bool,

    /// JSON with the summary and files only: no clusters, partial matches or passages.
    #[arg(long, help_heading = "Output")]
    summary_only: bool,

    /// No summary line and no warnings on stderr; errors are still printed.
    #[arg(short, long, help_heading = "Output")]
    quiet: bool,

    /// Jaccard similarity of word shingles at which two paragraphs are near duplicates.
    #[arg(short, long, default_value_t = DEFAULT_THRESHOLD, value_parser = parse_threshold, help_heading = "Matching")]
    threshold: f64,

    /// Words per shingle.
    #[arg(long, default_value_t = DEFAULT_SHINGLE, value_parser = clap::value_parser!(u16).range(1..=16).map(usize::from), help_heading = "Matching")]
    shingle: usize,

    /// Paragraphs with fewer words are matched exactly only (or, with wire markup, as near copies
    /// of the paragraph they equal without it).
    #[arg(long, default_value_t = DEFAULT_MIN_WORDS, value_name = "N", help_heading = "Matching")]
    min_words: usize,

    /// Shortest run of shared words reported as a partial match (at least --shingle, and 3).
    #[arg(long, default_value_t = DEFAULT_MIN_SHARED_WORDS, value_name = "N", help_heading = "Matching")]
    min_shared_words: usize,

    /// Fingerprints shared by more distinct paragraphs than N are boilerplate: not used to find
    /// candidates (counted in the summary).
    #[arg(long, default_value_t = DEFAULT_BOILERPLATE_CAP, value_name = "N", value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), help_heading = "Matching")]
    boilerplate_cap: usize,

    /// Look for exact duplicates only (no shingles, no MinHash, no partial matches).
    #[arg(long, help_heading = "Matching")]
    exact_only: bool,

    /// Mask figures: paragraphs alike but for their numbers count as duplicates instead of
    /// templates.
    #[arg(long, help_heading = "Matching")]
    ignore_figures: bool,

    /// Keep British and American spellings apart (by default `colour` matches `color`).
    #[arg(long, help_heading = "Matching")]
    keep_spelling: bool,

    /// Read only files with this extension (repeat or separate with commas); files named on
    /// the command line are always read.
    #[arg(
        short,
        long = "ext",
        value_name = "EXT",
        value_delimiter = ',',
        help_heading = "Input"
    )]
    extensions: Vec<String>,

    /// Leave out files and folders matching GLOB (repeatable): without `/` it is matched against
    /// the name (`*.md`, `drafts`), with `/` against the path as reached from the argument.
    #[arg(long, value_name = "GLOB", value_parser = parse_glob, help_heading = "Input")]
    exclude: Vec<glob::Pattern>,

    /// Print the files that would be read, one per line (reference files marked), and stop.
    #[arg(long, help_heading = "Input")]
    list_files: bool,

    /// Read hidden files and directories.
    #[arg(long, help_heading = "Input")]
    hidden: bool,

    /// Follow symbolic links.
    #[arg(long, help_heading = "Input")]
    follow: bool,

    /// Reference text (repeatable): read and matched, but holding no redundant copies. A copy of
    /// it in the inputs is the copy, the earliest reference copy the original; clusters of
    /// reference text only are not reported, and the ratios and rules count the inputs only.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Input",
        conflicts_with = "baseline"
    )]
    reference: Vec<PathBuf>,

    /// Also read the paths listed in FILE, one per line (`-`: stdin).
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    files_from: Option<PathBuf>,

    /// Paths in --files-from are separated by NUL bytes (as `find -print0` writes them).
    #[arg(
        long = "null",
        short = '0',
        requires = "files_from",
        help_heading = "Input"
    )]
    null_separated: bool,

    /// Read every file as JSON Lines (files named .jsonl or .ndjson always are).
    #[arg(long, help_heading = "Input")]
    jsonl: bool,

    /// The JSON Lines field holding a record's text.
    #[arg(
        long,
        default_value = "text",
        value_name = "NAME",
        help_heading = "Input"
    )]
    text_field: String,

    /// The JSON Lines field holding a record's id, shown with its paragraphs.
    #[arg(long, value_name = "NAME", help_heading = "Input")]
    id_field: Option<String>,

    /// How to read files that are not valid UTF-8: as UTF-8 with replacement characters (and a
    /// warning), or as Latin-1. UTF-16 files with a byte order mark are always recognised.
    #[arg(long, value_enum, default_value_t = EncodingArg::Utf8, help_heading = "Input")]
    encoding: EncodingArg,

    /// The most a file may hold once decompressed (bytes, or with K, M, G: 512M, 4G); a larger
    /// file is an error naming it, and the rest is read.
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size, help_heading = "Input")]
    max_file_size: u64,

    /// Exit with status 1 when there is any (new) redundant copy.
    #[arg(long, help_heading = "CI rules")]
    fail_on_duplicates: bool,

    /// Exit with status 1 when the corpus's (new) duplicate ratio is above R.
    #[arg(long, value_name = "R", value_parser = parse_ratio, help_heading = "CI rules")]
    max_duplicate_ratio: Option<f64>,

    /// Exit with status 1 when any file's (new) duplicate ratio is above R.
    #[arg(long, value_name = "R", value_parser = parse_ratio, help_heading = "CI rules")]
    max_file_duplicate_ratio: Option<f64>,

    /// An earlier report or baseline: its clusters are known, and rules count only new ones.
    #[arg(long, value_name = "FILE", help_heading = "CI rules")]
    baseline: Option<PathBuf>,

    /// Write a baseline accepting every duplicate cluster of this run to FILE.
    #[arg(long, value_name = "FILE", help_heading = "CI rules")]
    write_baseline: Option<PathBuf>,

    /// Print the man page (roff) or a shell's completion script to stdout, and exit.
    #[arg(long, value_enum, value_name = "KIND")]
    generate: Option<GenerateArg>,

    /// Settings from FILE (TOML, the long option names as keys: `threshold = 0.6`,
    /// `exclude = ["*.md"]`, `paths = ["corpus/"]`) [default: dedup.toml in the current folder,
    /// when there is one]. Flags on the command line win; list options add to the file's.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Worker threads (0: one per core; at most 1024). The report is the same for any number.
    #[arg(short = 'j', long, default_value_t = 0, value_name = "N", value_parser = parse_threads)]
    threads: usize,
}

/// The configuration file read when `--config` is not given.
pub const CONFIG_FILE: &str = "dedup.toml";

/// `argv` with the settings of the configuration file put before the command line's own
/// arguments (so that those win: clap keeps the last value of an option), and the file read.
/// The file is `--config FILE`, else `dedup.toml` in the current folder if there is one; none
/// for `dedup apply`. A file that cannot be read, or holds what is not an option of `dedup`,
/// exits with status 2 and a message naming it.
fn with_config_file(argv: Vec<OsString>) -> (Vec<OsString>, Option<PathBuf>) {
    if argv.get(1).is_some_and(|a| a == "apply") {
        return (argv, None);
    }
    let given = argv.iter().enumerate().find_map(|(i, a)| {
        let a = a.to_str()?;
        match a.strip_prefix("--config") {
            Some("") => argv.get(i + 1).map(PathBuf::from),
            Some(rest) => rest.strip_prefix('=').map(PathBuf::from),
            None => None,
        }
    });
    let path = match given {
        Some(path) => path,
        None if Path::new(CONFIG_FILE).is_file() => PathBuf::from(CONFIG_FILE),
        None => return (argv, None),
    };
    let fail = |message: String| -> ! {
        Args::command()
            .error(
                clap::error::ErrorKind::ValueValidation,
                format!("{}: {message}", dedup::walk::display_path(&path)),
            )
            .exit()
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| fail(e.to_string()));
    let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| fail(e.to_string()));
    let command = Args::command();
    let known = |name: &str| {
        command
            .get_arguments()
            .any(|a| a.get_long() == Some(name) && name != "config" && name != "generate")
    };
    let mut options = Vec::new();
    let mut paths = Vec::new();
    for (key, value) in table {
        let values = match value {
            toml::Value::Array(items) => items,
            other => vec![other],
        };
        let name = key.replace('_', "-");
        if name == "paths" {
            for v in values {
                match v {
                    toml::Value::String(s) => paths.push(OsString::from(s)),
                    _ => fail(format!("`paths` holds a {}, not a path", v.type_str())),
                }
            }
            continue;
        }
        if !known(&name) {
            fail(format!(
                "`{key}` is not an option of dedup (see dedup --help)"
            ));
        }
        for v in values {
            match v {
                toml::Value::Boolean(true) => options.push(OsString::from(format!("--{name}"))),
                toml::Value::Boolean(false) => {}
                toml::Value::String(s) => options.push(OsString::from(format!("--{name}={s}"))),
                toml::Value::Integer(n) => options.push(OsString::from(format!("--{name}={n}"))),
                toml::Value::Float(x) => options.push(OsString::from(format!("--{name}={x}"))),
                _ => fail(format!(
                    "`{key}` holds a {}: give a string, number or true/false",
                    v.type_str()
                )),
            }
        }
    }
    let mut merged = vec![argv[0].clone()];
    merged.extend(options);
    merged.extend(argv.into_iter().skip(1));
    // The file's paths are read when the command line names none.
    let missing = |e: clap::Error| e.kind() == clap::error::ErrorKind::MissingRequiredArgument;
    if !paths.is_empty() && Args::try_parse_from(&merged).is_err_and(missing) {
        merged.extend(paths);
    }
    (merged, Some(path))
}

/// The subcommands; `dedup PATH...` itself finds the copies.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write the corpus without the redundant copies a report found: `dedup corpus/ -o r.json`,
    /// look at it, then `dedup apply r.json --out clean/`.
    #[command(after_help = APPLY_AFTER_HELP)]
    Apply(ApplyArgs),
    /// Write a reference index of the paths for `--reference`: `dedup index corpus/ -o
    /// corpus.dedupx`, then `dedup new/ --reference corpus.dedupx`. Takes the options of `dedup
    /// PATH...`; a run with other matching settings refuses the index. `dedup index --update
    /// corpus/ -o corpus.dedupx` reads only the files added or changed since.
    Index,
    /// The pipeline as stages with files between them, for more than one machine: `dedup stage
    /// manifest PATH... -o WORK`, `dedup stage sign WORK --shard I/N` for each I, `dedup stage
    /// candidates WORK`, then `dedup stage report WORK -o report.json` (`dedup stage --help`).
    Stage,
}

const APPLY_AFTER_HELP: &str = "\
Run it from the folder dedup ran in: the report's paths are as reached from there. Every file of
the report is written below DIR as it sits below the folder the inputs share, with every other
byte as it was. DIR/dedup-removed.jsonl lists each paragraph removed (path, record, lines, bytes,
cluster, the member kept). A file changed since the report was written is refused by name.

Exit status:
  0  every file was written (or, with --dry-run, could be)
  2  an error: a file refused or unreadable (the others are still written), a bad report or DIR";

/// `dedup apply`'s arguments.
#[derive(Debug, clap::Args)]
struct ApplyArgs {
    /// The report `dedup` wrote (JSON or JSON Lines); `-` reads it from stdin.
    #[arg(value_name = "REPORT")]
    report: PathBuf,

    /// The folder to write the deduplicated corpus to: new or empty, not inside an input.
    #[arg(long, value_name = "DIR", required_unless_present = "dry_run")]
    out: Option<PathBuf>,

    /// Which copies go: `near` removes exact and near copies, `exact` exact copies only.
    #[arg(long, value_enum, default_value_t = DropArg::Near, value_name = "KIND")]
    drop: DropArg,

    /// Which member of a cluster stays: `first` (the representative, the earliest copy) or
    /// `longest` (the most complete version).
    #[arg(long, value_enum, default_value_t = KeepArg::First, value_name = "WHICH")]
    keep: KeepArg,

    /// Print the list of removals on stdout (the lines of dedup-removed.jsonl) and write
    /// nothing.
    #[arg(long)]
    dry_run: bool,

    /// Keep a JSON Lines record whose text is left empty (by default it is dropped).
    #[arg(long)]
    keep_empty_records: bool,

    /// No summary line on stderr; errors are still printed.
    #[arg(short, long)]
    quiet: bool,

    /// Worker threads (0: one per core; at most 1024).
    #[arg(short = 'j', long, default_value_t = 0, value_name = "N", value_parser = parse_threads)]
    threads: usize,
}

/// `--drop`'s values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DropArg {
    /// Exact and near copies.
    Near,
    /// Exact copies only.
    Exact,
}

/// `--keep`'s values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KeepArg {
    /// The representative: the first member in report order.
    First,
    /// The member with the most bytes (the first of those).
    Longest,
}

/// What the command line asks for.
pub enum Job {
    /// Find the copies: `dedup PATH...`.
    Find(Box<Config>),
    /// Write the corpus without them: `dedup apply`.
    Apply(ApplyOptions),
    /// Write a reference index of the paths: `dedup index PATH... -o corpus.dedupx`; with
    /// `--update`, from the index already there, reading only the files that changed.
    Index { config: Box<Config>, update: bool },
    /// The first stage of a staged run: `dedup stage manifest PATH... -o WORK`.
    StageManifest {
        config: Box<Config>,
        arguments: Vec<String>,
        config_file: Option<String>,
        work: PathBuf,
    },
    /// A later stage (`dedup stage sign|candidates|report WORK`), with the manifest's options.
    Stage {
        config: Box<Config>,
        manifest: Box<Manifest>,
        work: PathBuf,
        stage: Stage,
    },
}

/// The report formats, as named on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    /// One JSON document (compact when piped, pretty on a terminal).
    Json,
    /// JSON Lines: a header, one line per cluster, partial match, passage, file, warning and
    /// error, and a closing summary line.
    Jsonl,
    /// GitHub Actions annotations for every redundant copy.
    Github,
    /// For a person: the summary and the largest clusters (near copies as word diffs), shared
    /// text, passages and files, sized for a screen.
    Text,
    /// One self-contained HTML page (use with -o report.html): clusters with filters and side-by-side
    /// diffs, shared text, passages, file overlaps.
    Html,
}

/// What `--annotations` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AnnotationsArg {
    /// GitHub Actions workflow commands, as `--format github` writes them.
    Github,
}

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum GenerateArg {
    /// The man page, dedup.1.
    Man,
    /// Completions for bash.
    CompleteBash,
    /// Completions for zsh.
    CompleteZsh,
    /// Completions for fish.
    CompleteFish,
    /// Completions for PowerShell.
    CompletePowershell,
}

/// Prints what `--generate` asks for on stdout.
fn generate(kind: GenerateArg) -> io::Result<()> {
    let mut command = Args::command();
    let mut out = io::stdout().lock();
    let shell = match kind {
        GenerateArg::Man => return clap_mangen::Man::new(command).render(&mut out),
        GenerateArg::CompleteBash => clap_complete::Shell::Bash,
        GenerateArg::CompleteZsh => clap_complete::Shell::Zsh,
        GenerateArg::CompleteFish => clap_complete::Shell::Fish,
        GenerateArg::CompletePowershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut command, "dedup", &mut out);
    Ok(())
}

/// When to colour the text format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ColorArg {
    /// On a terminal, unless the NO_COLOR environment variable is set and not empty.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Fallback encodings, as named on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum EncodingArg {
    /// Invalid bytes read as U+FFFD, with a warning.
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// Files that are not valid UTF-8 read as ISO 8859-1.
    #[value(name = "latin1", alias = "latin-1", alias = "iso-8859-1")]
    Latin1,
}

fn parse_ratio(s: &str) -> Result<f64, String> {
    let r: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&r) {
        Ok(r)
    } else {
        Err("must be between 0 and 1".into())
    }
}

/// The most worker threads `-j` takes: far more than any machine has cores, few enough that a
/// pool of them starts at once (a pool of 100,000 threads never got going).
pub const MAX_THREADS: usize = 1024;

fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|e| format!("{e}"))?;
    if n <= MAX_THREADS {
        Ok(n)
    } else {
        Err(format!("must be at most {MAX_THREADS}"))
    }
}

/// A size in bytes: digits, optionally followed by K, M, G or T (powers of 1024; `KiB`, `MB`
/// and the like read the same).
fn parse_size(s: &str) -> Result<u64, String> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = s[digits.len()..].to_ascii_uppercase();
    let shift = match unit.trim_end_matches('B').trim_end_matches('I') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("unknown unit {unit:?}: use K, M, G or T")),
    };
    let n: u64 = digits.parse().map_err(|e| format!("{e}"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| "too large".to_owned())
}

fn parse_glob(s: &str) -> Result<glob::Pattern, String> {
    glob::Pattern::new(s).map_err(|e| e.to_string())
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    let t: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if t > 0.0 && t <= 1.0 {
        Ok(t)
    } else {
        Err("must be greater than 0 and at most 1".into())
    }
}

/// The checked arguments as a [`Job`]; exits with status 2 and clap's message when they are
/// bad.
pub fn parse() -> Job {
    let mut argv: Vec<OsString> = std::env::args_os().collect();
    if argv.get(1).is_some_and(|a| a == "stage") {
        return parse_stage(argv);
    }
    // `dedup index` takes the options of `dedup PATH...` that shape matching, so it is parsed as
    // that command: the same settings make the same index.
    let index = argv.get(1).is_some_and(|a| a == "index");
    let mut update = false;
    if index {
        argv.remove(1);
        // Before `--`, `--update` is the subcommand's own flag.
        let options = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
        if let Some(at) = argv[..options].iter().position(|a| a == "--update") {
            argv.remove(at);
            update = true;
        }
    }
    let (argv, config_file) = with_config_file(argv);
    // clap exits with status 2 on bad arguments, as our exit codes want.
    let mut args = Args::parse_from(argv);
    args.config = config_file;
    if let Some(Command::Apply(apply)) = args.command.take() {
        return Job::Apply(ApplyOptions {
            report: apply.report,
            out: apply.out,
            copies: match apply.drop {
                DropArg::Near => Copies::ExactAndNear,
                DropArg::Exact => Copies::Exact,
            },
            keep: match apply.keep {
                KeepArg::First => Keep::First,
                KeepArg::Longest => Keep::Longest,
            },
            dry_run: apply.dry_run,
            keep_empty_records: apply.keep_empty_records,
            threads: apply.threads,
            quiet: apply.quiet,
        });
    }
    let config = checked_config(args);
    match index {
        true if config.references.is_empty() => Job::Index { config, update },
        true => Args::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "dedup index indexes its PATH arguments; --reference is for the runs that use it",
            )
            .exit(),
        false => Job::Find(config),
    }
}

/// The options of `dedup PATH...` checked, as a [`Config`]; exits with status 2 and clap's
/// message when they do not go together (or after `--generate` has written its output).
fn checked_config(args: Args) -> Box<Config> {
    if let Some(kind) = args.generate {
        let status = match generate(kind) {
            Ok(()) => 0,
            Err(e) => {
                dedup::message(format_args!("cannot write the {kind:?} output: {e}"));
                2
            }
        };
        std::process::exit(status);
    }
    if args.min_shared_words < args.shingle.max(MIN_SEED_SHINGLE) {
        Args::command()
            .error(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "--min-shared-words must be at least --shingle and at least {MIN_SEED_SHINGLE}"
                ),
            )
            .exit();
    }
    let format = args.format();
    let pretty = "--pretty pretty-prints the JSON report";
    let refused = match format {
        Format::Json => None,
        Format::Jsonl if args.pretty => Some(pretty),
        Format::Jsonl => None,
        _ if args.summary_only => Some("--summary-only works with --format json and jsonl"),
        _ if args.pretty => Some(pretty),
        _ => None,
    }
    .map(|why| format!("{why}, not with --format {}", format.name()));
    let to_stdout = args.output.as_deref().is_none_or(|o| o == Path::new(STDIN));
    let refused = refused.or_else(|| {
        (args.annotations.is_some() && to_stdout).then(|| {
            "--annotations writes to stdout, so the report needs a file (-o FILE)".to_owned()
        })
    });
    if let Some(message) = refused {
        Args::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit();
    }
    // `dedup -q index corpus/` reads `index` as a path: say where a subcommand goes, unless
    // there is a file or folder of that name.
    let misplaced = args.paths.iter().find_map(|p| {
        let name = p.to_str()?;
        (["index", "apply", "stage"].contains(&name) && !p.exists()).then_some(name)
    });
    if let Some(name) = misplaced {
        Args::command()
            .error(
                clap::error::ErrorKind::InvalidSubcommand,
                format!(
                    "{name} is no file or folder here; as a subcommand it goes first, before \
                     every option: dedup {name} ..."
                ),
            )
            .exit();
    }
    let stdin = Path::new(STDIN);
    if args.files_from.as_deref() == Some(stdin) && args.paths.iter().any(|p| p == stdin) {
        Args::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "stdin cannot be both the path list (--files-from -) and a document (-)",
            )
            .exit();
    }
    Box::new(args.into_config())
}

/// `dedup stage STAGE ...`'s own arguments, after the stage's name.
#[derive(Debug, clap::Parser)]
#[command(
    name = "dedup stage",
    about = STAGE_ABOUT,
    override_usage = "dedup stage manifest [OPTIONS] -o WORK <PATH>...\n       \
                      dedup stage sign WORK --shard I/N [-j N] [-q]\n       \
                      dedup stage candidates WORK [-j N] [-q]\n       \
                      dedup stage verify WORK --shard I/N [-j N] [-q]\n       \
                      dedup stage report WORK [-o FILE] [-j N] [-q]"
)]
struct StageArgs {
    /// The work folder `dedup stage manifest` wrote.
    #[arg(value_name = "WORK")]
    work: PathBuf,

    /// `sign`: the shard to scan, I/N (0 ≤ I < N), files I·n/N up to (I+1)·n/N of the manifest;
    /// `verify`: the shard whose candidates to verify (those whose first paragraph it holds).
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    shard: Option<Shard>,

    /// `report`: write the report to FILE (through a temporary file), not stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Worker threads (0: one per core; at most 1024).
    #[arg(short = 'j', long, default_value_t = 0, value_name = "N", value_parser = parse_threads)]
    threads: usize,

    /// No summary line and no progress on stderr; errors are still printed.
    #[arg(short, long)]
    quiet: bool,
}

const STAGE_ABOUT: &str = "\
The pipeline as stages with files between them, the scan in shards (Slurm arrays, Kubernetes
indexed jobs, a shell loop):

  dedup stage manifest [OPTIONS] PATH... -o WORK   walk and list the files, keep the options
  dedup stage sign WORK --shard I/N                scan shard I of N (any order, anywhere)
  dedup stage candidates WORK                      the band join (or sql/ in a query engine)
  dedup stage verify WORK --shard I/N              verify shard I of N's candidates (optional)
  dedup stage report WORK [-o FILE]                merge the shards, match, write the report

The report is the one `dedup [OPTIONS] PATH...` writes. The options go to `manifest`; every later
stage runs with them. Without `verify`, `report` verifies the candidates itself.";

/// `dedup stage manifest|sign|candidates|verify|report ...`; exits with status 2 and a message when the arguments
/// are bad.
fn parse_stage(mut argv: Vec<OsString>) -> Job {
    let stage = argv.get(2).and_then(|s| s.to_str()).map(str::to_owned);
    let usage = || -> ! {
        StageArgs::command()
            .error(
                clap::error::ErrorKind::InvalidSubcommand,
                "name a stage: dedup stage manifest|sign|candidates|verify|report ...",
            )
            .exit()
    };
    match stage.as_deref() {
        Some("manifest") => {
            argv.drain(1..3);
            let (argv, config_file) = with_config_file(argv);
            let arguments: Vec<String> = argv[1..]
                .iter()
                .map(|a| a.to_str().map(str::to_owned))
                .collect::<Option<_>>()
                .unwrap_or_else(|| {
                    Args::command()
                        .error(
                            clap::error::ErrorKind::InvalidUtf8,
                            "a staged run's arguments must be UTF-8",
                        )
                        .exit()
                });
            let mut args = Args::parse_from(&argv);
            args.config = config_file.clone();
            let config = checked_config(args);
            let Some(work) = config.output.clone().filter(|o| o != Path::new(STDIN)) else {
                Args::command()
                    .error(
                        clap::error::ErrorKind::MissingRequiredArgument,
                        "dedup stage manifest needs -o WORK, the work folder to write",
                    )
                    .exit()
            };
            let config_file = config_file.map(|p| p.to_string_lossy().into_owned());
            Job::StageManifest {
                config,
                arguments,
                config_file,
                work,
            }
        }
        Some(name @ ("sign" | "candidates" | "verify" | "report")) => {
            let stage_args = StageArgs::parse_from(
                std::iter::once(OsString::from(format!("dedup stage {name}")))
                    .chain(argv.drain(3..)),
            );
            let misplaced = match name {
                "sign" if stage_args.shard.is_none() => Some("sign needs --shard I/N"),
                "verify" if stage_args.shard.is_none() => Some("verify needs --shard I/N"),
                "candidates" | "report" if stage_args.shard.is_some() => {
                    Some("--shard is for sign and verify: the other stages take every shard")
                }
                "sign" | "candidates" | "verify" if stage_args.output.is_some() => {
                    Some("only report writes to -o; the other stages write into WORK")
                }
                _ => None,
            };
            if let Some(message) = misplaced {
                StageArgs::command()
                    .error(clap::error::ErrorKind::ArgumentConflict, message)
                    .exit();
            }
            let manifest = match Manifest::read(&stage_args.work) {
                Ok(manifest) => manifest,
                Err(e) => {
                    dedup::message(format_args!("{e}"));
                    std::process::exit(2);
                }
            };
            // The manifest's arguments, parsed as `dedup stage manifest` parsed them.
            let argv =
                std::iter::once("dedup").chain(manifest.arguments().iter().map(String::as_str));
            let mut args = Args::parse_from(argv);
            args.config = manifest.config_file().map(PathBuf::from);
            let mut config = checked_config(args);
            config.threads = stage_args.threads;
            config.quiet = stage_args.quiet;
            config.output = stage_args.output;
            let stage = match (name, stage_args.shard) {
                ("sign", Some(shard)) => Stage::Sign(shard),
                ("verify", Some(shard)) => Stage::Verify(shard),
                ("candidates", _) => Stage::Candidates,
                _ => Stage::Report,
            };
            Job::Stage {
                config,
                manifest: Box::new(manifest),
                work: stage_args.work,
                stage,
            }
        }
        Some("-h" | "--help") => {
            StageArgs::command().print_help().ok();
            std::process::exit(0)
        }
        _ => usage(),
    }
}

impl Args {
    /// The format asked for; without `--format`, text for a person at a terminal (stdout one,
    /// no `-o`, no JSON flag), else the JSON report.
    fn format(&self) -> Format {
        match self.format {
            Some(FormatArg::Json) => Format::Json,
            Some(FormatArg::Jsonl) => Format::Jsonl,
            Some(FormatArg::Github) => Format::Github,
            Some(FormatArg::Text) => Format::Text,
            Some(FormatArg::Html) => Format::Html,
            None if self.output.is_none()
                && !self.pretty
                && !self.summary_only
                && io::stdout().is_terminal() =>
            {
                Format::Text
            }
            None => Format::Json,
        }
    }

    /// Whether the text format is coloured.
    fn color(&self) -> bool {
        match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    fn into_config(self) -> Config {
        let (format, color) = (self.format(), self.color());
        Config {
            inputs: self.paths,
            references: self.reference,
            files_from: self.files_from,
            config: self.config,
            null_separated: self.null_separated,
            output: self.output,
            output_options: OutputOptions {
                format,
                pretty: self.pretty,
                summary_only: self.summary_only,
                text: TextOptions {
                    limit: self.limit,
                    color,
                },
                annotations: self.annotations.is_some(),
            },
            rules: Rules {
                fail_on_duplicates: self.fail_on_duplicates,
                max_duplicate_ratio: self.max_duplicate_ratio,
                max_file_duplicate_ratio: self.max_file_duplicate_ratio,
            },
            baseline: self.baseline,
            write_baseline: self.write_baseline,
            walk: WalkOptions {
                extensions: self
                    .extensions
                    .into_iter()
                    .map(|e| e.trim_start_matches('.').to_owned())
                    .collect(),
                hidden: self.hidden,
                follow: self.follow,
                exclude: self.exclude,
            },
            read: ReadOptions {
                jsonl: self.jsonl,
                text_field: self.text_field,
                id_field: self.id_field,
                encoding: match self.encoding {
                    EncodingArg::Utf8 => Encoding::Utf8,
                    EncodingArg::Latin1 => Encoding::Latin1,
                },
                max_file_size: self.max_file_size,
            },
            shingle: self.shingle,
            threshold: self.threshold,
            min_words: self.min_words,
            min_shared_words: self.min_shared_words,
            boilerplate_cap: self.boilerplate_cap,
            exact_only: self.exact_only,
            ignore_figures: self.ignore_figures,
            keep_spelling: self.keep_spelling,
            threads: self.threads,
            quiet: self.quiet,
            list_files: self.list_files,
        }
    }
}
