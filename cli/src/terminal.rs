//! The line being typed in the interactive session: the terminal in raw mode, a line
//! editor small enough to read in one sitting (insert, erase, move, history), and printing
//! above the line so that a message arriving never breaks what is being typed.
//!
//! Why not a line-editing library: the one made for this (rustyline and its external
//! printer) loses keys typed quickly while a printer is attached (it waits on the terminal's
//! descriptor while the keys are already in its buffer); this editor reads crossterm's
//! event stream, so a paste arrives whole.

use std::io::{self, Write as _};

use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures_util::StreamExt as _;

/// The prompt before the line being typed.
const PROMPT: &str = "> ";

/// The terminal, in raw mode until dropped.
pub(crate) struct Terminal {
    events: EventStream,
    editor: Editor,
}

/// The line being typed and the lines sent.
#[derive(Debug, Default)]
struct Editor {
    /// The line being typed.
    line: Vec<char>,
    /// Where the cursor is in `line`.
    cursor: usize,
    /// The lines sent, oldest first.
    history: Vec<String>,
    /// Where Up/Down are in `history` (`history.len()`: the line being typed).
    recalled: usize,
}

impl Terminal {
    /// Put the terminal in raw mode and show the prompt.
    pub(crate) fn open() -> io::Result<Self> {
        crossterm::terminal::enable_raw_mode()?;
        let terminal = Self {
            events: EventStream::new(),
            editor: Editor::default(),
        };
        terminal.editor.redraw();
        Ok(terminal)
    }

    /// The next line typed; `None` on Ctrl-C, or Ctrl-D on an empty line (or when the
    /// terminal is gone). Cancel-safe: what was typed so far stays in `self`.
    pub(crate) async fn next_line(&mut self) -> Option<String> {
        loop {
            let Some(Ok(event)) = self.events.next().await else {
                return None;
            };
            let Event::Key(key) = event else {
                if let Event::Resize(..) = event {
                    self.editor.redraw();
                }
                continue;
            };
            if key.kind == KeyEventKind::Release {
                continue;
            }
            if let Some(done) = self.editor.key(key) {
                return done;
            }
        }
    }

    /// Print `text` (one or more lines) above the line being typed, then redraw it.
    pub(crate) fn print(&mut self, text: &str) {
        let text = text.trim_end_matches('\n').replace('\n', "\r\n");
        write_out(&format!("\r\x1b[2K{text}\r\n"));
        self.editor.redraw();
    }
}

impl Editor {
    /// Handle one key: `Some(Some(line))` when Enter ends a line, `Some(None)` to quit.
    fn key(&mut self, key: KeyEvent) -> Option<Option<String>> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => return Some(None),
            KeyCode::Char('d') if ctrl => {
                if self.line.is_empty() {
                    return Some(None);
                }
                self.delete();
            }
            KeyCode::Char('u') if ctrl => {
                self.line.drain(..self.cursor);
                self.cursor = 0;
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.line.len(),
            KeyCode::Char(c) if !ctrl => {
                self.line.insert(self.cursor, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.line.remove(self.cursor);
            }
            KeyCode::Delete => self.delete(),
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.line.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.line.len(),
            KeyCode::Up if self.recalled > 0 => {
                self.recalled -= 1;
                self.recall();
            }
            KeyCode::Down if self.recalled < self.history.len() => {
                self.recalled += 1;
                self.recall();
            }
            KeyCode::Enter => {
                let line: String = self.line.drain(..).collect();
                self.cursor = 0;
                // The line stays on the screen as it was typed.
                write_out(&format!("\r\x1b[2K{PROMPT}{line}\r\n"));
                if !line.is_empty() && self.history.last() != Some(&line) {
                    self.history.push(line.clone());
                }
                self.recalled = self.history.len();
                self.redraw();
                return Some(Some(line));
            }
            _ => return None,
        }
        self.redraw();
        None
    }

    /// Delete the character under the cursor.
    fn delete(&mut self) {
        if self.cursor < self.line.len() {
            self.line.remove(self.cursor);
        }
    }

    /// Show the history entry `recalled` (or an empty line past the end).
    fn recall(&mut self) {
        self.line = self
            .history
            .get(self.recalled)
            .map(|l| l.chars().collect())
            .unwrap_or_default();
        self.cursor = self.line.len();
    }

    /// Draw the prompt and the line, the cursor in its place.
    fn redraw(&self) {
        let line: String = self.line.iter().collect();
        let back = self.line.len() - self.cursor;
        let mut out = format!("\r\x1b[2K{PROMPT}{line}");
        if back > 0 {
            out += &format!("\x1b[{back}D");
        }
        write_out(&out);
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        write_out("\r\x1b[2K");
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Write to the terminal now (a closed terminal is not an error worth reporting here: the
/// next key read ends the session).
fn write_out(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn editor() -> Editor {
        Editor::default()
    }

    fn press(t: &mut Editor, code: KeyCode) -> Option<Option<String>> {
        t.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn editing_keys() {
        let mut t = editor();
        for c in "helo".chars() {
            assert_eq!(press(&mut t, KeyCode::Char(c)), None);
        }
        press(&mut t, KeyCode::Left);
        press(&mut t, KeyCode::Char('l'));
        assert_eq!(
            press(&mut t, KeyCode::Enter),
            Some(Some("hello".to_owned()))
        );
        press(&mut t, KeyCode::Char('x'));
        press(&mut t, KeyCode::Backspace);
        press(&mut t, KeyCode::Up);
        assert_eq!(
            press(&mut t, KeyCode::Enter),
            Some(Some("hello".to_owned()))
        );
        let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(t.key(ctrl_d), Some(None));
    }
}
