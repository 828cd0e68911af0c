package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"pulsedesk/interpret"
)

func init() {
	register(command{
		name:    "models",
		summary: "list the model server's models with digests and vision capability",
		run:     runModels,
	})
}

type modelOut struct {
	Name          string   `json:"name"`
	Digest        string   `json:"digest"`
	Size          int64    `json:"size"`
	Family        string   `json:"family,omitempty"`
	Quantization  string   `json:"quantization,omitempty"`
	Capabilities  []string `json:"capabilities"`
	Vision        bool     `json:"vision"`
	Note          string   `json:"note,omitempty"`
	ImageLongSide int      `json:"image_long_side"`
}

func runModels(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	sf := addServerFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pulsectl models [--json] [--server URL] [--allow-remote]")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("models takes no arguments")
	}
	c, err := sf.client(stderr)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := context.Background()
	st := c.Status(ctx)
	if !st.Reachable {
		return reachable(ctx, c)
	}
	ms, err := c.ModelsDetailed(ctx)
	if err != nil {
		return err
	}
	out := make([]modelOut, 0, len(ms))
	for _, m := range ms {
		out = append(out, modelOut{Name: m.Name, Digest: m.Digest, Size: m.Size, Family: m.Family, Quantization: m.Quantization,
			Capabilities: m.Capabilities, Vision: m.Vision, Note: m.Note(), ImageLongSide: m.ImageLongSide})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"server": c.URL(), "version": st.Version, "remote": c.Remote(), "models": out})
	}
	fmt.Fprintln(stdout, st.Message)
	if len(out) == 0 {
		fmt.Fprintf(stdout, "no models installed; import PULSE with `pulsectl import-model --name %s --model LM.gguf --projector MMPROJ.gguf`\n", interpret.DefaultModel)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDIGEST\tSIZE\tVISION\tINPUT PX\tNOTE")
	for _, m := range out {
		vision := "no"
		if m.Vision {
			vision = "yes"
		}
		note := m.Note
		if !m.Vision {
			note = strings.TrimPrefix(strings.Join([]string{note, "cannot read images"}, "; "), "; ")
		}
		fmt.Fprintf(tw, "%s\t%.12s\t%.1f GB\t%s\t%d\t%s\n", m.Name, m.Digest, float64(m.Size)/1e9, vision, m.ImageLongSide, note)
	}
	return tw.Flush()
}
