package consoletui

// Say shows a sentence in the console's status line: what the root model
// has to tell the professor there (a live view that could not open).
func (m *Model) Say(text string, isErr bool) { m.say(text, isErr) }
