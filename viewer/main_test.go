package viewer

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	ServeIsolatedRender() // the test binary is also the render child
	os.Exit(m.Run())
}
