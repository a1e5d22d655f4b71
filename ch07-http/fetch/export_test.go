package fetch

// SetTestHookPoll sets the function All's tasks call before each poll of
// a fetch; nil removes it. Only while no All runs.
func SetTestHookPoll(f func(url string)) { testHookPoll = f }

// SetTestHookPending sets the function All's tasks call after a poll
// that left a fetch pending; nil removes it. Only while no All runs.
func SetTestHookPending(f func(url string)) { testHookPending = f }
