package viewer

import (
	"errors"
	"fmt"
)

// ErrorKind is the class of problem a document has. Each kind is a sentinel
// usable with errors.Is on an *Error.
type ErrorKind string

func (k ErrorKind) Error() string { return string(k) }

// The problems Open, Render and Thumbnail report.
const (
	ErrNotFound    ErrorKind = "file not found"
	ErrIsDir       ErrorKind = "is a folder, not a file"
	ErrUnreadable  ErrorKind = "cannot be read"
	ErrEmpty       ErrorKind = "file is empty"
	ErrTruncated   ErrorKind = "file is truncated or damaged"
	ErrNotDocument ErrorKind = "not an image or PDF"
	ErrUnsupported ErrorKind = "unsupported format"
	ErrPassword    ErrorKind = "document is password-protected"
	ErrNoPages     ErrorKind = "document has no pages"
	ErrPageRange   ErrorKind = "page out of range"
	ErrTooLarge    ErrorKind = "too large"
	ErrClosed      ErrorKind = "document is closed"
)

// Error is the error every document operation returns: the file, the kind of
// problem and, where there is one, the underlying cause.
type Error struct {
	Path    string
	Problem ErrorKind
	Err     error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s", e.Path, string(e.Problem))
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns both the problem kind and the cause, so errors.Is matches
// either.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Problem}
	}
	return []error{e.Problem, e.Err}
}

func newErr(path string, kind ErrorKind, format string, a ...any) *Error {
	var err error
	if format != "" {
		err = fmt.Errorf(format, a...)
	}
	return &Error{Path: path, Problem: kind, Err: err}
}

func wrapErr(path string, kind ErrorKind, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Path: path, Problem: kind, Err: err}
}
