package workflows

// FieldError is a refusal of one input field, shown to the user with the field's name.
// Field is the path of the field in the request, e.g. "scores[2].score"; Reason completes the sentence
// "<field> ...", e.g. "must be between 0 and 5".
type FieldError struct {
	Field  string
	Reason string
}

// Error writes the refusal as "<field>: <reason>".
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }
