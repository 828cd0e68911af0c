package interpret

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// FallbackLongSide is the model-input long side when the model does not
// say: PULSE's largest anyres grid (3 × 336 px).
const FallbackLongSide = 1008

// NotEvaluatedNote is shown beside every model other than PULSE.
const NotEvaluatedNote = "not evaluated for ECG"

// Model is an installed model as the app shows it.
type Model struct {
	Name         string // as Ollama lists it, e.g. "pulse:latest"
	Digest       string // from /api/tags
	Size         int64
	Family       string
	Parameters   string // e.g. "7B"
	Quantization string // e.g. "Q4_K_M"
	Capabilities []string
	// Vision is true when the model reports the vision capability.
	Vision bool
	// PULSE is true for the model named pulse (any tag).
	PULSE bool
	// NotEvaluated is true for every model but PULSE: it carries NotEvaluatedNote.
	NotEvaluated bool
	// ImageLongSide is the model-input long side in pixels (see LongSideFromShow).
	ImageLongSide int
	// ContextLength is the model's trained context, when it says.
	ContextLength int
	// ProjectorInfo and ModelInfo are /api/show's metadata (arrays over
	// five items come back empty from Ollama unless verbose).
	ProjectorInfo map[string]any `json:"-"`
	ModelInfo     map[string]any `json:"-"`
	Modified      time.Time
}

// Note is the caveat shown with the model, or "".
func (m Model) Note() string {
	if m.NotEvaluated {
		return NotEvaluatedNote
	}
	return ""
}

// IsPULSE reports whether a model name is PULSE (pulse, pulse:latest, pulse:q4 ...).
func IsPULSE(name string) bool {
	base := name
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[i+1:]
	}
	base, _, _ = strings.Cut(base, ":")
	return strings.EqualFold(base, "pulse")
}

// sameModel reports whether two names are the same model ("pulse" = "pulse:latest").
func sameModel(a, b string) bool {
	norm := func(n string) string {
		if i := strings.LastIndex(n, "/"); !strings.Contains(n[i+1:], ":") {
			n += ":latest"
		}
		return strings.ToLower(n)
	}
	return norm(a) == norm(b)
}

// Models lists the installed models with their digests (/api/tags). It
// does not ask /api/show for each; use Show for capabilities.
func (c *Client) Models(ctx context.Context) ([]Model, error) {
	lr, err := c.api.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing models at %s: %w", c.base.Host, c.wrap(err))
	}
	out := make([]Model, 0, len(lr.Models))
	for _, m := range lr.Models {
		out = append(out, Model{
			Name: m.Name, Digest: m.Digest, Size: m.Size, Family: m.Details.Family,
			Parameters: m.Details.ParameterSize, Quantization: m.Details.QuantizationLevel,
			PULSE: IsPULSE(m.Name), NotEvaluated: !IsPULSE(m.Name), Modified: m.ModifiedAt,
		})
	}
	slices.SortFunc(out, func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// ModelsDetailed lists the installed models with capabilities and projector info.
func (c *Client) ModelsDetailed(ctx context.Context) ([]Model, error) {
	ms, err := c.Models(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if err := c.fill(ctx, &ms[i]); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// Show describes one model: its digest (/api/tags), capabilities and
// projector info (/api/show). A missing model is ErrModelNotFound.
func (c *Client) Show(ctx context.Context, name string) (Model, error) {
	if name == "" {
		name = DefaultModel
	}
	m := Model{Name: name, PULSE: IsPULSE(name), NotEvaluated: !IsPULSE(name)}
	ms, err := c.Models(ctx)
	if err != nil {
		return Model{}, err
	}
	found := false
	for _, x := range ms {
		if sameModel(x.Name, name) {
			m, found = x, true
			break
		}
	}
	if !found {
		return Model{}, fmt.Errorf("model %q at %s: %w (import it with `pulsectl import-model` or pull it)", name, c.base.Host, ErrModelNotFound)
	}
	if err := c.fill(ctx, &m); err != nil {
		return Model{}, err
	}
	return m, nil
}

func (c *Client) fill(ctx context.Context, m *Model) error {
	sr, err := c.api.Show(ctx, &api.ShowRequest{Model: m.Name})
	if err != nil {
		return fmt.Errorf("model %q at %s: %w", m.Name, c.base.Host, c.wrap(err))
	}
	m.Capabilities = m.Capabilities[:0]
	for _, cp := range sr.Capabilities {
		m.Capabilities = append(m.Capabilities, string(cp))
	}
	m.Vision = slices.Contains(m.Capabilities, "vision")
	m.ProjectorInfo = sr.ProjectorInfo
	m.ModelInfo = sr.ModelInfo
	m.ImageLongSide = LongSideFromShow(sr.ModelInfo, sr.ProjectorInfo)
	if arch, ok := sr.ModelInfo["general.architecture"].(string); ok {
		m.ContextLength = intOf(sr.ModelInfo[arch+".context_length"])
	}
	if m.Family == "" {
		m.Family = sr.Details.Family
	}
	return nil
}

// RequireVision returns the model when it can see images, a *NoVisionError
// when it cannot, and ErrModelNotFound when it is not installed.
func (c *Client) RequireVision(ctx context.Context, name string) (Model, error) {
	m, err := c.Show(ctx, name)
	if err != nil {
		return Model{}, err
	}
	if !m.Vision {
		return m, &NoVisionError{Model: m.Name}
	}
	return m, nil
}

// LongSideFromShow is the model-input long side for a model:
//   - a CLIP projector with anyres grid pinpoints: the largest pinpoint;
//   - a CLIP projector with spatial_unpad merging (LLaVA-1.6, PULSE) whose
//     pinpoints Ollama left out: 3 × its image size (1008 for PULSE);
//   - a CLIP projector without a grid (LLaVA-1.5): its image size;
//   - a single-file vision model (<arch>.vision.image_size): that size;
//   - otherwise FallbackLongSide.
func LongSideFromShow(modelInfo, projectorInfo map[string]any) int {
	if size := intOf(projectorInfo["clip.vision.image_size"]); size > 0 {
		if pins, ok := projectorInfo["clip.vision.image_grid_pinpoints"].([]any); ok && len(pins) > 0 {
			max := 0
			for _, p := range pins {
				if v := intOf(p); v > max {
					max = v
				}
			}
			if max > 0 {
				return max
			}
		}
		if mt, _ := projectorInfo["clip.vision.mm_patch_merge_type"].(string); mt == "spatial_unpad" {
			return 3 * size
		}
		return size
	}
	if arch, ok := modelInfo["general.architecture"].(string); ok {
		if size := intOf(modelInfo[arch+".vision.image_size"]); size > 0 {
			return size
		}
	}
	return FallbackLongSide
}

func intOf(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case float32:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	case uint32:
		return int(n)
	case uint64:
		return int(n)
	case int32:
		return int(n)
	}
	return 0
}
