package ui

import "sync"

// uiQueue collects calls meant for the UI goroutine, for tests that run
// them on their own goroutine (see Options.do).
type uiQueue struct {
	mu  sync.Mutex
	fns []func()
}

func (q *uiQueue) push(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
}

func (q *uiQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.fns)
}

// drain runs the queued calls in order and returns how many ran.
func (q *uiQueue) drain() int {
	n := 0
	for {
		q.mu.Lock()
		if len(q.fns) == 0 {
			q.mu.Unlock()
			return n
		}
		f := q.fns[0]
		q.fns = q.fns[1:]
		q.mu.Unlock()
		f()
		n++
	}
}
