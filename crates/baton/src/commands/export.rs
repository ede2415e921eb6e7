//! `baton export`: conversations with messages, notes and history.

use crate::config::Config;
use baton_core::ConversationId;
use baton_store::*;
use std::io::Write;

/// Options of `baton export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Workspace name.
    #[arg(long)]
    pub workspace: String,
    /// One conversation; without it, every conversation of the workspace (JSON lines).
    #[arg(long)]
    pub conversation: Option<String>,
    /// json, csv or html (csv and html need --conversation).
    #[arg(long, default_value = "json")]
    pub format: String,
    /// Write here instead of standard output.
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
}

/// Run the export.
pub async fn run(cfg: &Config, args: ExportArgs) -> Result<(), String> {
    let store = crate::store::open(&cfg.database_url).await?;
    let ws = store
        .find_workspace(&args.workspace)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no workspace named {:?}", args.workspace))?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| format!("cannot write {}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let format: baton_server::export::Format = args.format.parse().map_err(|e: String| e)?;
    match &args.conversation {
        Some(id) => {
            let id: ConversationId = id
                .parse()
                .map_err(|_| format!("{id:?} is not a conversation id"))?;
            let x = export_conversation(store.as_ref(), ws.id, None, id)
                .await
                .map_err(|e| e.to_string())?;
            let bytes = baton_server::export::render(&x, format).map_err(|e| e.to_string())?;
            out.write_all(&bytes).map_err(|e| e.to_string())?;
        }
        None => {
            if format != baton_server::export::Format::Json {
                return Err("exporting a whole workspace writes JSON lines: use --format json".into());
            }
            let bar = indicatif::ProgressBar::new_spinner();
            let filter = ViewFilter {
                status: StatusFilter::Any,
                ..Default::default()
            };
            let mut req = PageRequest::first(200);
            // Nobody's read state: the viewer id matches no user.
            let viewer = baton_core::UserId(uuid::Uuid::nil());
            loop {
                let page = store
                    .list_conversations(ws.id, viewer, &filter, &req)
                    .await
                    .map_err(|e| e.to_string())?;
                for v in &page.items {
                    let x = export_conversation(store.as_ref(), ws.id, None, v.conversation.id)
                        .await
                        .map_err(|e| e.to_string())?;
                    let mut line = baton_server::export::render(&x, format).map_err(|e| e.to_string())?;
                    line.retain(|b| *b != b'\n');
                    line.push(b'\n');
                    out.write_all(&line).map_err(|e| e.to_string())?;
                    bar.inc(1);
                }
                match page.next_cursor {
                    Some(c) => req.cursor = Some(c),
                    None => break,
                }
            }
            bar.finish_and_clear();
        }
    }
    out.flush().map_err(|e| e.to_string())
}
