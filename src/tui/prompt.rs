//! The one-line input at the bottom of the screen (`/` and `:`).

use crossterm::event::{KeyCode, KeyEvent};

use crate::tui::action::{Action, PromptKind};

/// Longest text a prompt takes, in characters.
const MAX_PROMPT: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

impl Prompt {
    pub fn new(kind: PromptKind, text: String) -> Prompt {
        Prompt { kind, text }
    }

    /// Edits the text; a search prompt filters the inode table as it is typed.
    pub fn key(&mut self, key: KeyEvent) -> Option<Action> {
        match key.code {
            KeyCode::Esc => return Some(Action::CancelPrompt),
            KeyCode::Enter => return Some(Action::SubmitPrompt),
            KeyCode::Backspace => {
                self.text.pop();
            }
            KeyCode::Char(c) => {
                if self.text.chars().count() < MAX_PROMPT {
                    self.text.push(c);
                }
            }
            _ => return None,
        }
        (self.kind == PromptKind::Search).then(|| Action::Filter(self.text.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(prompt: &mut Prompt, code: KeyCode) -> Option<Action> {
        prompt.key(KeyEvent::from(code))
    }

    #[test]
    fn search_filters_as_typed_and_goto_waits_for_enter() {
        let mut search = Prompt::new(PromptKind::Search, "et".into());
        assert_eq!(
            press(&mut search, KeyCode::Char('c')),
            Some(Action::Filter("etc".into()))
        );
        assert_eq!(
            press(&mut search, KeyCode::Backspace),
            Some(Action::Filter("et".into()))
        );
        let mut goto = Prompt::new(PromptKind::Goto, String::new());
        assert_eq!(press(&mut goto, KeyCode::Char('1')), None);
        assert_eq!(goto.text, "1");
        assert_eq!(press(&mut goto, KeyCode::Enter), Some(Action::SubmitPrompt));
        assert_eq!(press(&mut goto, KeyCode::Esc), Some(Action::CancelPrompt));
    }

    #[test]
    fn text_is_bounded() {
        let mut goto = Prompt::new(PromptKind::Goto, String::new());
        for _ in 0..MAX_PROMPT + 10 {
            press(&mut goto, KeyCode::Char('x'));
        }
        assert_eq!(goto.text.chars().count(), MAX_PROMPT);
    }
}
