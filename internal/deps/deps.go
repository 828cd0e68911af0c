//go:build tools

// Package deps pins the libraries the project builds on, so go.mod keeps them while packages land.
package deps

import (
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/test"
	_ "fyne.io/fyne/v2/widget"
	_ "github.com/disintegration/imaging"
	_ "github.com/gen2brain/go-fitz"
	_ "github.com/gen2brain/heic"
	_ "github.com/go-pdf/fpdf"
	_ "github.com/mattn/go-sqlite3"
	_ "github.com/ollama/ollama/api"
	_ "github.com/ollama/ollama/fs/ggml"
	_ "github.com/ollama/ollama/template"
	_ "go.uber.org/goleak"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)
