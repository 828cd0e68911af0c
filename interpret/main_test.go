package interpret

import (
	"encoding/json"
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: no stuck stream reader, no
// watchdog, no connection.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
