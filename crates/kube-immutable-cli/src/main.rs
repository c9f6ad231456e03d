//! `kube-immutable`: tells whether Kubernetes containers are immutable.
//!
//! A thin binary: decode the arguments, read the inputs ([`inputs`]), call
//! the core ([`check`]), encode the result ([`output`]). No rule logic here.
//!
//! Exit codes, for every subcommand: 0 when no error-level finding, 1 when
//! there is one, 2 when an input could not be read or parsed, had input
//! errors, or the arguments or settings were invalid. 2 wins over 1.
//!
//! The same source is also the `kubectl-immutable` binary (a kubectl
//! plugin: `src/bin/kubectl-immutable.rs` includes this file), which names
//! itself `kubectl immutable` in its help; so does any copy or link of the
//! binary under that name.

// Parsing allocates and frees many small nodes: mimalloc does it faster
// than the system allocator, on one thread and on several (Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// `pub(crate)`: the kubectl plugin's root re-exports them (`crate::check`
// must resolve there too).
pub(crate) mod baseline;
pub(crate) mod check;
pub(crate) mod config;
pub(crate) mod discover;
pub(crate) mod fix;
pub(crate) mod inputs;
pub(crate) mod lsp;
pub(crate) mod output;
pub(crate) mod playground;
pub(crate) mod post_renderer;
pub(crate) mod spool;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use kube_immutable_core::rules::{self, FixAvailability};
use kube_immutable_core::{Level, RULES};

use crate::baseline::Baseline;
use crate::check::{exit, Run};
use crate::output::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "kube-immutable",
    version,
    about = "Tell whether Kubernetes containers are immutable, and show exactly where they are not.",
    after_help = "Exit codes: 0 no error-level finding, 1 error-level findings, \
                  2 unreadable input, input errors or invalid arguments (2 wins over 1)."
)]
struct Cli {
    /// When to use colours (`auto` honours NO_COLOR and CLICOLOR_FORCE).
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check manifests: files, folders (.yaml, .yml, .json, recursively) or `-` for stdin.
    Check(CheckArgs),
    /// Fix manifests: print the fixed text (one input: exactly the fixed
    /// text, ready for `kubectl apply -f -`), a diff, or rewrite the files.
    Fix(FixArgs),
    /// List the rules with their default level and whether they can be fixed.
    Rules(RulesArgs),
    /// Write the rules for another enforcer, from the same settings.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Print a rule's documentation (Markdown).
    Explain {
        /// A rule id, as `kube-immutable rules` lists them.
        rule: String,
        /// Language of the documentation.
        #[arg(long, value_enum, default_value_t = Lang::En)]
        lang: Lang,
    },
    /// Serve the Language Server Protocol on stdin and stdout, for editors:
    /// findings as you type, quick fixes, rule pages on hover (README: "In
    /// your editor").
    Lsp,
    /// Print a shell completion script
    /// (bash: `source <(kube-immutable completions bash)`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff: `kube-immutable man | man -l -`).
    Man {
        /// Write a page per command into DIR instead
        /// (`kube-immutable.1`, `kube-immutable-check.1`, ...).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Files or folders to check; `-` reads standard input.
    #[arg(required_unless_present = "filename", value_name = "PATH")]
    paths: Vec<String>,
    /// A file or folder to check, as kubectl's `-f` (repeatable):
    /// `kubectl immutable check -f pod.yaml`.
    #[arg(short = 'f', long, value_name = "PATH")]
    filename: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print nothing but the findings and input errors (text: no summary,
    /// nothing at all when every object is immutable).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Write the report to FILE instead of standard output (never coloured).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write a report in FORMAT to FILE, from the same check
    /// (repeatable): `--output-format sarif=report.sarif --output-format
    /// junit=junit.xml`. FORMAT is text, json, sarif, github or junit.
    #[arg(long = "output-format", value_name = "FORMAT=FILE", value_parser = parse_output_format)]
    output_format: Vec<ExtraOutput>,
    /// Report only the findings that FILE (written by `--write-baseline`)
    /// does not hold; the summary counts those it matched.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    baseline: Option<PathBuf>,
    /// Record every finding of this run in FILE (JSON, safe to commit),
    /// for later runs with `--baseline FILE`; this run then reports only
    /// input errors.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Settings file (YAML or JSON): rule levels and exemptions, for every
    /// input. Without it, each input's nearest `.kube-immutable.yaml` (or
    /// `kube-immutable.yaml`), up to the repository root.
    #[arg(long, value_name = "FILE")]
    config: Option<String>,
    /// Language of the messages.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
    /// Files checked at once (default: the available cores; 1 checks them
    /// one after another). The output and exit code do not depend on it.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

#[derive(Debug, Args)]
struct FixArgs {
    /// Files or folders to fix; `-` reads standard input.
    #[arg(required_unless_present_any = ["filename", "stdin_post_renderer"], value_name = "PATH")]
    paths: Vec<String>,
    /// A file or folder to fix, as kubectl's `-f` (repeatable).
    #[arg(short = 'f', long, value_name = "PATH")]
    filename: Vec<String>,
    /// Helm post-renderer mode: read the whole stream from standard input,
    /// print it fixed, exit 0 unless it cannot be read
    /// (`helm install --post-renderer kube-immutable --post-renderer-args fix
    /// --post-renderer-args --stdin-post-renderer`).
    #[arg(long, conflicts_with_all = ["paths", "filename", "diff", "write"])]
    stdin_post_renderer: bool,
    /// Print no summary line (only input errors).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Show a unified diff instead of the fixed text.
    #[arg(long, conflicts_with = "write")]
    diff: bool,
    /// Rewrite the files in place (atomically; stdin is printed).
    #[arg(long)]
    write: bool,
    /// Also apply unsafe fixes (they may break the workload: the image may
    /// need root or a host namespace, or write outside the mounted paths).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Settings file (YAML or JSON): rule levels and exemptions, for every
    /// input. Without it, each input's nearest `.kube-immutable.yaml` (or
    /// `kube-immutable.yaml`), up to the repository root.
    #[arg(long, value_name = "FILE")]
    config: Option<String>,
    /// Language of the messages.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// ValidatingAdmissionPolicies and their bindings (one YAML stream, for
    /// `kubectl apply -f -`): the API server enforces the rules itself, with
    /// no webhook. Error-level rules deny, warning-level rules warn.
    Vap {
        /// Settings file (YAML or JSON): rule levels and exemptions; without
        /// it, the nearest `.kube-immutable.yaml` (or `kube-immutable.yaml`)
        /// from the working directory up, as `check -` finds it.
        #[arg(long, value_name = "FILE")]
        config: Option<String>,
    },
}

#[derive(Debug, Args)]
struct RulesArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    format: RulesFormat,
    /// Language of the summaries.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Code frames and a summary line.
    Text,
    /// `{"findings": [...], "errors": [...], "summary": {...}}`.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
    /// JUnit XML (GitLab test reports, Jenkins, Azure DevOps): a test suite
    /// per file, a test case per object.
    Junit,
}

/// A report to write to a file besides the main one (`--output-format`).
#[derive(Debug, Clone)]
struct ExtraOutput {
    format: Format,
    file: PathBuf,
}

fn parse_output_format(value: &str) -> Result<ExtraOutput, String> {
    let (format, file) = value
        .split_once('=')
        .ok_or_else(|| format!("`{value}` is not FORMAT=FILE (e.g. sarif=report.sarif)"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        let known: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_owned()))
            .collect();
        format!(
            "unknown format `{format}`; known formats: {}",
            known.join(", ")
        )
    })?;
    if file.is_empty() {
        return Err(format!("`{value}` names no file"));
    }
    Ok(ExtraOutput {
        format,
        file: PathBuf::from(file),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// The name the binary answers to in its help and errors: `kubectl
/// immutable` when it runs as a kubectl plugin (by the name kubectl looks
/// for, `kubectl-immutable`), `kube-immutable` otherwise.
fn bin_name() -> &'static str {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let stem = Path::new(&argv0).file_stem().unwrap_or_default();
    if stem == "kubectl-immutable" {
        "kubectl immutable"
    } else {
        "kube-immutable"
    }
}

pub(crate) fn main() -> ExitCode {
    let matches = Cli::command().bin_name(bin_name()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.color {
        Color::Auto => {}
        Color::Always => anstream::ColorChoice::Always.write_global(),
        Color::Never => anstream::ColorChoice::Never.write_global(),
    }
    let code = match cli.command {
        Command::Check(args) => run_check(&args),
        Command::Fix(args) => run_fix(&args),
        Command::Rules(args) => list_rules(&args),
        Command::Export(ExportCommand::Vap { config }) => export_vap(config.as_deref()),
        Command::Explain { rule, lang } => explain(&rule, lang),
        Command::Lsp => lsp::run(),
        Command::Completions { shell } => completions(shell),
        Command::Man { dir } => man(dir.as_deref()),
    };
    ExitCode::from(code)
}

/// The settings of `--config` for every input, or else each input's
/// nearest settings file (`.kube-immutable.yaml` or `kube-immutable.yaml`,
/// up to the repository root); a refused file is shown as a frame on
/// stderr and ends the run with exit 2.
fn load_settings(
    config: Option<&str>,
    inputs: &[Result<inputs::Input, inputs::InputError>],
    lang: Lang,
) -> Result<discover::SettingsFor, u8> {
    let loaded = match config {
        Some(file) => config::load(file).map(discover::SettingsFor::given),
        None => discover::SettingsFor::discover(inputs.iter().filter_map(|i| i.as_ref().ok())),
    };
    loaded.map_err(|e| {
        eprint_styled(&output::text::render_config_error(&e, lang));
        exit::INPUT_ERROR
    })
}

fn run_check(args: &CheckArgs) -> u8 {
    let paths: Vec<String> = args.filename.iter().chain(&args.paths).cloned().collect();
    let inputs = inputs::collect(&paths);
    let settings = match load_settings(args.config.as_deref(), &inputs, args.lang) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    // Two reports into one file would leave only the last.
    let mut files: Vec<&Path> = args.output.iter().map(PathBuf::as_path).collect();
    for extra in &args.output_format {
        if files.contains(&extra.file.as_path()) {
            eprint_styled(&format!(
                "{} {}",
                args.lang.pick(
                    "error: two reports would be written to",
                    "erreur : deux rapports seraient écrits dans"
                ),
                extra.file.display()
            ));
            return exit::INPUT_ERROR;
        }
        files.push(&extra.file);
    }
    // A baseline that cannot be read stops the run before any check: it
    // must never read as "no findings".
    let baseline = match &args.baseline {
        Some(path) => match Baseline::load(path) {
            Ok(b) => Some(b),
            Err(e) => {
                eprint_styled(&baseline_error(&e, args.lang));
                return exit::INPUT_ERROR;
            }
        },
        None => None,
    };
    let formats: Vec<Format> = std::iter::once(args.format)
        .chain(args.output_format.iter().map(|o| o.format))
        .collect();
    let keep = check::Keep {
        text: formats.contains(&Format::Text),
        objects: formats.contains(&Format::Junit),
    };
    let jobs = args.jobs.map_or_else(check::default_jobs, usize::from);
    // One report, no baseline: printed as the inputs are read, in memory
    // bounded by the largest object, unless the inputs are small files
    // (`check::small`: checked faster whole, the same output). The rest
    // needs every input's findings at once (a baseline matches and counts
    // them; JUnit lists every object; several reports render the same run).
    let whole_run = args.baseline.is_some()
        || args.write_baseline.is_some()
        || formats.contains(&Format::Junit)
        || formats.len() > 1
        || check::small(&inputs);
    if !whole_run {
        return check_streaming(args, inputs, &settings, jobs);
    }
    let mut run = Run::check(inputs, &settings, jobs, keep);
    let mut code = exit::OK;
    if let Some(path) = &args.write_baseline {
        let written = Baseline::of_run(&run, path);
        match written.write(path) {
            Ok(()) => {
                let mut applied = written.apply(&mut run, &path.display().to_string());
                applied.written = true;
                run.baseline = Some(applied);
            }
            Err(e) => {
                eprint_styled(&baseline_error(&e, args.lang));
                code = exit::INPUT_ERROR;
            }
        }
    } else if let (Some(baseline), Some(path)) = (&baseline, &args.baseline) {
        run.baseline = Some(baseline.apply(&mut run, &path.display().to_string()));
    }
    code = code.max(run.exit_code());
    let report = render(&run, args.format, &settings, args.lang, args.quiet);
    match &args.output {
        None if args.format == Format::Text => print_styled(&report),
        // Data for other tools: never styled, so written as is.
        None => print_plain(&report),
        Some(file) => code = code.max(write_report(file, &report, args.lang)),
    }
    for extra in &args.output_format {
        let report = render(&run, extra.format, &settings, args.lang, args.quiet);
        code = code.max(write_report(&extra.file, &report, args.lang));
    }
    // Machine formats keep their output clean: the baseline's note goes to
    // stderr (text output has it in its summary).
    if args.format != Format::Text && !args.quiet {
        if let Some(note) = run
            .baseline
            .as_ref()
            .and_then(|b| baseline::note(b, args.lang))
        {
            if args.format == Format::Github {
                eprint_styled(&format!(
                    "::notice title=kube-immutable baseline::{}",
                    output::github::escape_data(&note)
                ));
            } else {
                eprint_styled(&note);
            }
        }
    }
    // Every input's text and findings would be freed one by one on the way
    // out; the process ends here, and the OS takes the memory back at once.
    std::mem::forget(run);
    code
}

/// `check` with one report and no baseline, printed as the inputs are read.
fn check_streaming(
    args: &CheckArgs,
    inputs: Vec<Result<inputs::Input, inputs::InputError>>,
    settings: &discover::SettingsFor,
    jobs: usize,
) -> u8 {
    let format: Box<dyn output::Format> = match args.format {
        Format::Text => Box::new(output::text::Text {
            lang: args.lang,
            quiet: args.quiet,
        }),
        Format::Json => Box::new(output::json::Json { lang: args.lang }),
        Format::Sarif => Box::new(output::sarif::Sarif::new(args.lang)),
        Format::Github => Box::new(output::github::Github { lang: args.lang }),
        // A whole run (see `run_check`).
        Format::Junit => return exit::INPUT_ERROR,
    };
    let format = format.as_ref();
    // The report is written as the inputs are checked: to a file, or to
    // standard output (text through anstream, which drops colours where
    // they do not belong; data for other tools as is).
    let (summary, error) = match &args.output {
        Some(file) => match std::fs::File::create(file) {
            Ok(f) => {
                let mut out = std::io::BufWriter::new(anstream::StripStream::new(f));
                check::stream::run(inputs, settings, jobs, format, &mut out)
            }
            Err(e) => (check::Summary::default(), Some(e)),
        },
        None if args.format == Format::Text => {
            let mut out = std::io::BufWriter::new(anstream::stdout().lock());
            check::stream::run(inputs, settings, jobs, format, &mut out)
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            check::stream::run(inputs, settings, jobs, format, &mut out)
        }
    };
    match error {
        None => summary.exit_code(),
        // A closed pipe (`| head`) is not an error: the exit code says
        // what was found up to there.
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe && args.output.is_none() => {
            summary.exit_code()
        }
        Some(e) => {
            match &args.output {
                Some(file) => eprint_styled(&format!(
                    "{} {}: {e}",
                    args.lang
                        .pick("error: cannot write", "erreur : écriture impossible de"),
                    file.display()
                )),
                None => eprint_styled(&format!("error: {e}")),
            }
            exit::INPUT_ERROR
        }
    }
}

/// One report of a run.
fn render(
    run: &Run,
    format: Format,
    settings: &discover::SettingsFor,
    lang: Lang,
    quiet: bool,
) -> String {
    match format {
        Format::Text => output::text::render(run, lang, quiet),
        Format::Json => output::json::render(run, lang),
        Format::Sarif => output::sarif::render(run, lang),
        Format::Github => output::github::render(run, lang),
        Format::Junit => output::junit::render(run, settings, lang),
    }
}

/// Write a report to a file, never coloured; exit 2 when it cannot be.
fn write_report(file: &Path, report: &str, lang: Lang) -> u8 {
    let plain = anstream::adapter::strip_str(report).to_string();
    match std::fs::write(file, plain) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprint_styled(&format!(
                "{} {}: {e}",
                lang.pick("error: cannot write", "erreur : écriture impossible de"),
                file.display()
            ));
            exit::INPUT_ERROR
        }
    }
}

fn baseline_error(e: &baseline::BaselineError, lang: Lang) -> String {
    match lang {
        Lang::En => format!("error: baseline {}: {}", e.file, e.message),
        Lang::Fr => format!("erreur : référence {} : {}", e.file, e.message),
    }
}

fn run_fix(args: &FixArgs) -> u8 {
    let paths: Vec<String> = args.filename.iter().chain(&args.paths).cloned().collect();
    let inputs = if args.stdin_post_renderer {
        inputs::collect(&[inputs::STDIN.to_owned()])
    } else {
        inputs::collect(&paths)
    };
    let settings = match load_settings(args.config.as_deref(), &inputs, args.lang) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let options = kube_immutable_core::fix::FixOptions {
        unsafe_fixes: args.unsafe_fixes,
    };
    if args.stdin_post_renderer {
        let out = post_renderer::run(&settings, options, args.lang);
        print_plain(&out.stdout);
        if !args.quiet || out.code != exit::OK {
            eprint_styled(&out.stderr);
        }
        return out.code;
    }
    let mode = if args.write {
        fix::Mode::Write
    } else if args.diff {
        fix::Mode::Diff
    } else {
        fix::Mode::Print
    };
    let out = fix::run(inputs, &settings, options, mode, args.lang);
    // The fixed text is data for other tools: never styled.
    print_plain(&out.stdout);
    // The summary is the last line; `--quiet` keeps only the errors above it.
    let stderr = if args.quiet {
        let body = out.stderr.trim_end_matches('\n');
        body.rfind('\n').map_or("", |i| &body[..=i])
    } else {
        &out.stderr
    };
    if !stderr.is_empty() {
        eprint_styled(stderr);
    }
    out.code
}

/// `export vap`: the core writes the policies, this prints them.
fn export_vap(config: Option<&str>) -> u8 {
    // `--config`, else the nearest settings file from the working
    // directory, as `check -` finds it, else the defaults.
    let file = config.map(PathBuf::from).or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|dir| discover::nearest_config(&dir, &[]))
    });
    let settings = match &file {
        None => kube_immutable_core::Settings::default(),
        Some(file) => match config::load(&file.to_string_lossy()) {
            Ok(settings) => settings,
            Err(e) => {
                eprint_styled(&output::text::render_config_error(&e, Lang::En));
                return exit::INPUT_ERROR;
            }
        },
    };
    match kube_immutable_core::export::vap::validating_admission_policy(&settings) {
        Ok(policies) => {
            print_plain(&policies);
            exit::OK
        }
        // What the policy module refuses too (admission settings).
        Err(e) => {
            let file = file.map_or_else(|| "settings".to_owned(), |f| f.display().to_string());
            eprint_styled(&format!("error: {file}: {e}"));
            exit::INPUT_ERROR
        }
    }
}

/// The level a rule runs at by default, as settings write it.
fn default_level(r: &rules::RuleMeta) -> &'static str {
    match r.default_level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Off => "off",
    }
}

fn list_rules(args: &RulesArgs) -> u8 {
    let fix = |r: &rules::RuleMeta| match r.fix {
        FixAvailability::Always => "always",
        FixAvailability::Sometimes => "sometimes",
        FixAvailability::None => "no",
    };
    let out = match args.format {
        RulesFormat::Json => {
            let list: Vec<_> = RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "level": default_level(r),
                        "fix": r.fix,
                        "summary": args.lang.pick(r.summary.en, r.summary.fr),
                        "url": r.url(),
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
            s.push('\n');
            s
        }
        RulesFormat::Text => {
            let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let (id, level, fixable, summary) = match args.lang {
                Lang::En => ("RULE", "LEVEL", "FIX", "SUMMARY"),
                Lang::Fr => ("RÈGLE", "NIVEAU", "CORR.", "RÉSUMÉ"),
            };
            let bold = anstyle::Style::new().bold();
            let mut s = format!("{bold}{id:width$}  {level:7}  {fixable:9}  {summary}{bold:#}\n");
            for r in RULES {
                s.push_str(&format!(
                    "{:width$}  {:7}  {:9}  {}\n",
                    r.id,
                    default_level(r),
                    fix(r),
                    args.lang.pick(r.summary.en, r.summary.fr),
                ));
            }
            s
        }
    };
    print_styled(&out);
    exit::OK
}

fn explain(rule: &str, lang: Lang) -> u8 {
    match rules::by_id(rule) {
        Some(r) => {
            let mut docs = r.docs_markdown_in(lang.code());
            docs.push_str(&format!(
                "\n{} {}\n",
                lang.pick("Docs:", "Documentation :"),
                r.url_in(lang.code())
            ));
            if let Some(link) = playground::rule_link(r, lang.code()) {
                docs.push_str(&format!(
                    "{} {link}\n",
                    lang.pick(
                        "Try it in the playground:",
                        "Essayez-la dans le bac à sable :"
                    )
                ));
            }
            print_styled(&docs);
            exit::OK
        }
        None => {
            let known: Vec<_> = rules::ids().collect();
            eprint_styled(&match lang {
                Lang::En => format!(
                    "error: unknown rule `{rule}`; known rules: {}\n",
                    known.join(", ")
                ),
                Lang::Fr => format!(
                    "erreur : règle `{rule}` inconnue ; règles connues : {}\n",
                    known.join(", ")
                ),
            });
            exit::INPUT_ERROR
        }
    }
}

fn completions(shell: clap_complete::Shell) -> u8 {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kube-immutable", &mut out);
    print_plain(&String::from_utf8_lossy(&out));
    exit::OK
}

/// The man page of `kube-immutable`, or with `dir` one page per command
/// written there (what `cargo xtask docs` puts in `docs/man/`).
fn man(dir: Option<&Path>) -> u8 {
    let command = Cli::command();
    let Some(dir) = dir else {
        let mut out = Vec::new();
        return match clap_mangen::Man::new(command).render(&mut out) {
            Ok(()) => {
                print_plain(&String::from_utf8_lossy(&out));
                exit::OK
            }
            Err(e) => {
                eprint_styled(&format!("error: {e}"));
                exit::INPUT_ERROR
            }
        };
    };
    let mut command = command.disable_help_subcommand(true);
    command.build();
    // Each page names the program and its version (clap_mangen's default
    // for a subcommand is its bare name).
    let source = format!("kube-immutable {}", env!("CARGO_PKG_VERSION"));
    let write = || {
        std::fs::create_dir_all(dir)?;
        for page in std::iter::once(&command).chain(command.get_subcommands()) {
            clap_mangen::Man::new(page.clone())
                .source(source.clone())
                .generate_to(dir)?;
        }
        Ok::<(), std::io::Error>(())
    };
    match write() {
        Ok(()) => exit::OK,
        Err(e) => {
            eprint_styled(&format!("error: {}: {e}", dir.display()));
            exit::INPUT_ERROR
        }
    }
}

/// Writes to stdout, dropping colours where they do not belong. A closed
/// pipe (`| head`) is not an error.
fn print_styled(text: &str) {
    let mut out = anstream::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Writes to stdout as is (JSON, SARIF). A closed pipe is not an error.
fn print_plain(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn eprint_styled(text: &str) {
    let mut err = anstream::stderr().lock();
    let text = if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    };
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}
