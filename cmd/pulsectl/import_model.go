package main

import (
	"fmt"
	"io"

	"github.com/ollama/ollama/api"

	"pulsedesk/interpret"
)

func init() {
	register(command{
		name:    "import-model",
		summary: "import PULSE from its language-model and vision-projector GGUF files",
		run:     runImportModel,
	})
	register(command{
		name:    "pull",
		summary: "download a library vision model by name",
		run:     runPull,
	})
}

func runImportModel(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import-model", stderr)
	name := fs.String("name", interpret.DefaultModel, "name of the new model")
	lm := fs.String("model", "", "language-model GGUF file")
	proj := fs.String("projector", "", "vision-projector (mmproj) GGUF file")
	sf := addServerFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pulsectl import-model [--name pulse] --model LM.gguf --projector MMPROJ.gguf [--server URL]")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *lm == "" || *proj == "" {
		return usagef("import-model needs --model LM.gguf and --projector MMPROJ.gguf")
	}
	c, ctx, done, err := sf.connect(stderr)
	if err != nil {
		return err
	}
	defer done()
	progress := progressPrinter(stderr)
	m, err := c.Import(ctx, interpret.ImportRequest{Name: *name, ModelPath: *lm, ProjectorPath: *proj}, func(p interpret.ImportProgress) {
		line := p.Step
		switch {
		case p.Status != "":
			line += " " + p.File + " " + p.Status
		case p.Total > 0:
			line += fmt.Sprintf(" %s %d%%", p.File, p.Completed*100/p.Total)
		}
		progress(line)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s (digest %.12s), capabilities: %v\n", m.Name, m.Digest, m.Capabilities)
	return nil
}

func runPull(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pull", stderr)
	sf := addServerFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pulsectl pull NAME [--server URL]")
		fs.PrintDefaults()
	}
	arg, err := parseOne(fs, args, "model NAME")
	if err != nil {
		return err
	}
	c, ctx, done, err := sf.connect(stderr)
	if err != nil {
		return err
	}
	defer done()
	progress := progressPrinter(stderr)
	err = c.Pull(ctx, arg, func(p api.ProgressResponse) {
		line := p.Status
		if p.Total > 0 {
			line += fmt.Sprintf(" %d%%", p.Completed*100/p.Total)
		}
		progress(line)
	})
	if err != nil {
		return err
	}
	m, err := c.Show(ctx, arg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pulled %s (digest %.12s), vision: %v\n", m.Name, m.Digest, m.Vision)
	if !m.Vision {
		fmt.Fprintf(stdout, "%s cannot read images: it cannot interpret ECGs here\n", m.Name)
	}
	return nil
}
