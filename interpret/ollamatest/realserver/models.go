package realserver

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"

	"github.com/ollama/ollama/fs/ggml"
)

// The tiny models below have random weights: they load in about a second on a CPU and answer
// gibberish. They exist to exercise the protocol (images, streaming, cancellation, formats,
// imports), not to say anything about an ECG. Weights are seeded from the tensor name, so every
// write of a model gives the same file and the same digest.

// Token-type values of the GGUF tokenizer.ggml.token_type array.
const (
	tokNormal  = 1
	tokUnknown = 2
	tokControl = 3
	tokUnused  = 5
	tokByte    = 6
)

// tensor is one random-weight tensor; its data is written as float32.
type tensor struct {
	name  string
	shape []uint64
	// value, when set, gives element i (norm weights of 1, zero biases...).
	value func(i uint64) float32
	// zeroRows are rows (indices along the second dimension) written as zeros: the output
	// embeddings of control, byte and unused tokens, so the model never writes them and every
	// answer is plain text that does not stop early.
	zeroRows map[uint64]bool
}

func (t tensor) elements() uint64 {
	n := uint64(1)
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// WriteTo writes the tensor's float32 data.
func (t tensor) WriteTo(w io.Writer) (int64, error) {
	h := fnv.New64a()
	h.Write([]byte(t.name))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
	fanIn := float64(t.shape[0])
	scale := float32(1 / math.Sqrt(fanIn))
	n := t.elements()
	buf := make([]byte, 0, 64*1024)
	var written int64
	for i := uint64(0); i < n; i++ {
		var v float32
		switch {
		case t.value != nil:
			v = t.value(i)
		case len(t.shape) >= 2 && t.zeroRows[i/t.shape[0]]:
			v = 0
		default:
			v = (rng.Float32()*2 - 1) * scale
		}
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) || i == n-1 {
			m, err := w.Write(buf)
			written += int64(m)
			if err != nil {
				return written, err
			}
			buf = buf[:0]
		}
	}
	return written, nil
}

func ones(uint64) float32  { return 1 }
func zeros(uint64) float32 { return 0 }

func (t tensor) gguf() *ggml.Tensor {
	return &ggml.Tensor{Name: t.name, Kind: uint32(ggml.TensorTypeF32), Shape: t.shape, WriterTo: t}
}

// writeGGUF writes kv and tensors to path with ollama's own GGUF writer.
func writeGGUF(path string, kv ggml.KV, ts []tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating model file %s: %w", path, err)
	}
	gts := make([]*ggml.Tensor, len(ts))
	for i, t := range ts {
		gts[i] = t.gguf()
	}
	if err := ggml.WriteGGUF(f, kv, gts); err != nil {
		f.Close()
		return fmt.Errorf("writing model file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing model file %s: %w", path, err)
	}
	return nil
}

// vocab is a SentencePiece vocabulary under construction.
type vocab struct {
	tokens []string
	types  []int32
	scores []float32
}

func newVocab(size int) *vocab {
	v := &vocab{tokens: make([]string, size), types: make([]int32, size), scores: make([]float32, size)}
	return v
}

func (v *vocab) set(id int, tok string, typ int32) {
	v.tokens[id] = tok
	v.types[id] = typ
}

// fill gives every free slot from `from` on a unique piece: the bytes as <0xNN> byte tokens,
// the printable ASCII characters with and without the word-start mark, then made-up words.
func (v *vocab) fill(from int) {
	next := from
	take := func() int {
		for next < len(v.tokens) && v.tokens[next] != "" {
			next++
		}
		if next >= len(v.tokens) {
			return -1
		}
		return next
	}
	for b := 0; b < 256; b++ {
		id := take()
		if id < 0 {
			return
		}
		v.set(id, fmt.Sprintf("<0x%02X>", b), tokByte)
	}
	pieces := []string{"▁"}
	for c := byte('!'); c <= '~'; c++ {
		pieces = append(pieces, string(c), "▁"+string(c))
	}
	for i := range pieces {
		id := take()
		if id < 0 {
			return
		}
		v.set(id, pieces[i], tokNormal)
		v.scores[id] = -float32(i) / 1000
	}
	for n := 0; ; n++ {
		id := take()
		if id < 0 {
			return
		}
		v.set(id, fmt.Sprintf("▁w%d", n), tokNormal)
		v.scores[id] = -1 - float32(n)/1e6
	}
}

// silent lists the ids the model must not write: every token that is not normal text.
func (v *vocab) silent() map[uint64]bool {
	m := map[uint64]bool{}
	for i, t := range v.types {
		if t != tokNormal {
			m[uint64(i)] = true
		}
	}
	return m
}

func (v *vocab) kv(kv ggml.KV) {
	kv["tokenizer.ggml.model"] = "llama"
	kv["tokenizer.ggml.tokens"] = v.tokens
	kv["tokenizer.ggml.scores"] = v.scores
	kv["tokenizer.ggml.token_type"] = v.types
}

// Gemma 3 sizes: a one-layer text model and a one-layer vision tower. The vision tower reads a
// 32x32 image in 8x8 patches (16 patches) pooled to 4 image tokens.
const (
	gemmaEmbd       = 16
	gemmaFF         = 32
	gemmaHeads      = 2
	gemmaKVHeads    = 1
	gemmaHeadDim    = 8
	gemmaVocab      = 256001 // the model code uses token ids up to 256000 (<end_of_image>)
	gemmaImage      = 32
	gemmaPatch      = 8
	gemmaImageToken = 4
	// GemmaImageTokens is how many prompt tokens one image adds to the tiny vision model's
	// prompt: the image tokens, <start_of_image>, <end_of_image> and two "\n\n".
	GemmaImageTokens = gemmaImageToken + 4
)

// WriteVisionModel writes a tiny Gemma 3 model with a vision tower (one GGUF file holding both,
// as Ollama's own engine runs it) to path. Ollama reports it with the "vision" capability.
func WriteVisionModel(path string) error {
	v := newVocab(gemmaVocab)
	v.set(0, "<pad>", tokControl)
	v.set(1, "<eos>", tokControl)
	v.set(2, "<bos>", tokControl)
	v.set(3, "<unk>", tokUnknown)
	v.set(105, "<start_of_turn>", tokControl)
	v.set(106, "<end_of_turn>", tokControl)
	v.set(107, "\n", tokNormal)
	v.set(108, "\n\n", tokNormal)
	v.set(255999, "<start_of_image>", tokControl)
	v.set(256000, "<end_of_image>", tokControl)
	for id := 4; id < 105; id++ {
		v.set(id, fmt.Sprintf("<unused%d>", id), tokUnused)
	}
	v.fill(109)

	kv := ggml.KV{
		"general.architecture":                       "gemma3",
		"general.name":                               "tiny-vision",
		"gemma3.context_length":                      uint32(8192),
		"gemma3.embedding_length":                    uint32(gemmaEmbd),
		"gemma3.block_count":                         uint32(1),
		"gemma3.feed_forward_length":                 uint32(gemmaFF),
		"gemma3.attention.head_count":                uint32(gemmaHeads),
		"gemma3.attention.head_count_kv":             uint32(gemmaKVHeads),
		"gemma3.attention.key_length":                uint32(gemmaHeadDim),
		"gemma3.attention.value_length":              uint32(gemmaHeadDim),
		"gemma3.attention.layer_norm_rms_epsilon":    float32(1e-6),
		"gemma3.attention.sliding_window":            uint32(512),
		"gemma3.rope.freq_base":                      float32(1e6),
		"gemma3.vision.block_count":                  uint32(1),
		"gemma3.vision.embedding_length":             uint32(gemmaEmbd),
		"gemma3.vision.feed_forward_length":          uint32(gemmaFF),
		"gemma3.vision.attention.head_count":         uint32(gemmaHeads),
		"gemma3.vision.attention.layer_norm_epsilon": float32(1e-6),
		"gemma3.vision.image_size":                   uint32(gemmaImage),
		"gemma3.vision.patch_size":                   uint32(gemmaPatch),
		"gemma3.vision.num_channels":                 uint32(3),
		"gemma3.mm_tokens_per_image":                 uint32(gemmaImageToken),
		"tokenizer.ggml.bos_token_id":                uint32(2),
		"tokenizer.ggml.eos_token_id":                uint32(1),
		"tokenizer.ggml.unknown_token_id":            uint32(3),
		"tokenizer.ggml.padding_token_id":            uint32(0),
		"tokenizer.ggml.add_bos_token":               true,
		"tokenizer.ggml.add_eos_token":               false,
	}
	v.kv(kv)

	e, f, qd, kvd := uint64(gemmaEmbd), uint64(gemmaFF), uint64(gemmaHeads*gemmaHeadDim), uint64(gemmaKVHeads*gemmaHeadDim)
	patches := uint64((gemmaImage / gemmaPatch) * (gemmaImage / gemmaPatch))
	ts := []tensor{
		{name: "token_embd.weight", shape: []uint64{e, gemmaVocab}, zeroRows: v.silent()},
		{name: "output_norm.weight", shape: []uint64{e}, value: ones},
		{name: "blk.0.attn_norm.weight", shape: []uint64{e}, value: ones},
		{name: "blk.0.attn_q.weight", shape: []uint64{e, qd}},
		{name: "blk.0.attn_q_norm.weight", shape: []uint64{gemmaHeadDim}, value: ones},
		{name: "blk.0.attn_k.weight", shape: []uint64{e, kvd}},
		{name: "blk.0.attn_k_norm.weight", shape: []uint64{gemmaHeadDim}, value: ones},
		{name: "blk.0.attn_v.weight", shape: []uint64{e, kvd}},
		{name: "blk.0.attn_output.weight", shape: []uint64{qd, e}},
		{name: "blk.0.post_attention_norm.weight", shape: []uint64{e}, value: ones},
		{name: "blk.0.ffn_norm.weight", shape: []uint64{e}, value: ones},
		{name: "blk.0.ffn_gate.weight", shape: []uint64{e, f}},
		{name: "blk.0.ffn_up.weight", shape: []uint64{e, f}},
		{name: "blk.0.ffn_down.weight", shape: []uint64{f, e}},
		{name: "blk.0.post_ffw_norm.weight", shape: []uint64{e}, value: ones},

		{name: "v.patch_embedding.weight", shape: []uint64{gemmaPatch, gemmaPatch, 3, e}},
		{name: "v.patch_embedding.bias", shape: []uint64{e}, value: zeros},
		{name: "v.position_embedding.weight", shape: []uint64{e, patches}},
		{name: "v.post_layernorm.weight", shape: []uint64{e}, value: ones},
		{name: "v.post_layernorm.bias", shape: []uint64{e}, value: zeros},
		{name: "v.blk.0.layer_norm1.weight", shape: []uint64{e}, value: ones},
		{name: "v.blk.0.layer_norm1.bias", shape: []uint64{e}, value: zeros},
		{name: "v.blk.0.layer_norm2.weight", shape: []uint64{e}, value: ones},
		{name: "v.blk.0.layer_norm2.bias", shape: []uint64{e}, value: zeros},
		{name: "v.blk.0.attn_q.weight", shape: []uint64{e, e}},
		{name: "v.blk.0.attn_q.bias", shape: []uint64{e}, value: zeros},
		{name: "v.blk.0.attn_k.weight", shape: []uint64{e, e}},
		{name: "v.blk.0.attn_k.bias", shape: []uint64{e}, value: zeros},
		{name: "v.blk.0.attn_v.weight", shape: []uint64{e, e}},
		{name: "v.blk.0.attn_v.bias", shape: []uint64{e}, value: zeros},
		{name: "v.blk.0.attn_output.weight", shape: []uint64{e, e}},
		{name: "v.blk.0.attn_output.bias", shape: []uint64{e}, value: zeros},
		{name: "v.blk.0.mlp.fc1.weight", shape: []uint64{e, f}},
		{name: "v.blk.0.mlp.fc1.bias", shape: []uint64{f}, value: zeros},
		{name: "v.blk.0.mlp.fc2.weight", shape: []uint64{f, e}},
		{name: "v.blk.0.mlp.fc2.bias", shape: []uint64{e}, value: zeros},

		{name: "mm.mm_soft_emb_norm.weight", shape: []uint64{e}, value: ones},
		{name: "mm.mm_input_projection.weight", shape: []uint64{e, e}},
	}
	return writeGGUF(path, kv, ts)
}

// Llama sizes, shared by the text-only model and the language model of the LLaVA pair.
const (
	llamaEmbd    = 16
	llamaFF      = 32
	llamaHeads   = 2
	llamaHeadDim = llamaEmbd / llamaHeads
	llamaVocab   = 512
)

func llamaModel(name string) (ggml.KV, []tensor) {
	v := newVocab(llamaVocab)
	v.set(0, "<unk>", tokUnknown)
	v.set(1, "<s>", tokControl)
	v.set(2, "</s>", tokControl)
	v.fill(3)
	kv := ggml.KV{
		"general.architecture":                   "llama",
		"general.name":                           name,
		"llama.context_length":                   uint32(4096),
		"llama.embedding_length":                 uint32(llamaEmbd),
		"llama.block_count":                      uint32(1),
		"llama.feed_forward_length":              uint32(llamaFF),
		"llama.attention.head_count":             uint32(llamaHeads),
		"llama.attention.head_count_kv":          uint32(llamaHeads),
		"llama.attention.layer_norm_rms_epsilon": float32(1e-5),
		"llama.rope.dimension_count":             uint32(llamaHeadDim),
		"llama.rope.freq_base":                   float32(10000),
		"llama.vocab_size":                       uint32(llamaVocab),
		"tokenizer.ggml.bos_token_id":            uint32(1),
		"tokenizer.ggml.eos_token_id":            uint32(2),
		"tokenizer.ggml.unknown_token_id":        uint32(0),
		"tokenizer.ggml.add_bos_token":           true,
		"tokenizer.ggml.add_eos_token":           false,
	}
	v.kv(kv)
	e, f := uint64(llamaEmbd), uint64(llamaFF)
	ts := []tensor{
		{name: "token_embd.weight", shape: []uint64{e, llamaVocab}},
		{name: "output.weight", shape: []uint64{e, llamaVocab}, zeroRows: v.silent()},
		{name: "output_norm.weight", shape: []uint64{e}, value: ones},
		{name: "blk.0.attn_norm.weight", shape: []uint64{e}, value: ones},
		{name: "blk.0.attn_q.weight", shape: []uint64{e, e}},
		{name: "blk.0.attn_k.weight", shape: []uint64{e, e}},
		{name: "blk.0.attn_v.weight", shape: []uint64{e, e}},
		{name: "blk.0.attn_output.weight", shape: []uint64{e, e}},
		{name: "blk.0.ffn_norm.weight", shape: []uint64{e}, value: ones},
		{name: "blk.0.ffn_gate.weight", shape: []uint64{e, f}},
		{name: "blk.0.ffn_up.weight", shape: []uint64{e, f}},
		{name: "blk.0.ffn_down.weight", shape: []uint64{f, e}},
	}
	return kv, ts
}

// WriteTextModel writes a tiny text-only Llama model to path (no vision capability).
func WriteTextModel(path string) error {
	kv, ts := llamaModel("tiny-text")
	return writeGGUF(path, kv, ts)
}

// CLIP projector sizes of the LLaVA pair: a 56x56 image in 14x14 patches (16 image tokens),
// two encoder layers (LLaVA takes the features before the last one).
const (
	clipEmbd  = 16
	clipFF    = 32
	clipHeads = 2
	clipImage = 56
	clipPatch = 14
	clipLayer = 2
)

// WriteLlavaPair writes a LLaVA-style pair like PULSE's: a tiny Llama language model to lmPath
// and a tiny CLIP vision projector ("mmproj", an MLP projector) to projPath.
func WriteLlavaPair(lmPath, projPath string) error {
	kv, ts := llamaModel("tiny-llava")
	if err := writeGGUF(lmPath, kv, ts); err != nil {
		return err
	}
	e, f := uint64(clipEmbd), uint64(clipFF)
	patches := uint64((clipImage / clipPatch) * (clipImage / clipPatch))
	pkv := ggml.KV{
		"general.architecture":                     "clip",
		"general.name":                             "tiny-llava-projector",
		"general.type":                             "projector",
		"clip.has_text_encoder":                    false,
		"clip.has_vision_encoder":                  true,
		"clip.has_llava_projector":                 true,
		"clip.projector_type":                      "mlp",
		"clip.use_gelu":                            true,
		"clip.vision.image_size":                   uint32(clipImage),
		"clip.vision.patch_size":                   uint32(clipPatch),
		"clip.vision.embedding_length":             uint32(clipEmbd),
		"clip.vision.feed_forward_length":          uint32(clipFF),
		"clip.vision.projection_dim":               uint32(llamaEmbd),
		"clip.vision.block_count":                  uint32(clipLayer),
		"clip.vision.attention.head_count":         uint32(clipHeads),
		"clip.vision.attention.layer_norm_epsilon": float32(1e-5),
		"clip.vision.image_mean":                   []float32{0.48145466, 0.4578275, 0.40821073},
		"clip.vision.image_std":                    []float32{0.26862954, 0.26130258, 0.27577711},
		// LLaVA 1.6 ("anyres"): a large image is also read in tiles of the best of these grids,
		// as PULSE's projector asks.
		"clip.vision.image_grid_pinpoints": []int32{clipImage, 2 * clipImage, 2 * clipImage, clipImage, 2 * clipImage, 2 * clipImage},
		"clip.vision.mm_patch_merge_type":  "spatial_unpad",
	}
	pts := []tensor{
		{name: "v.patch_embd.weight", shape: []uint64{clipPatch, clipPatch, 3, e}},
		{name: "v.class_embd", shape: []uint64{e}},
		{name: "v.position_embd.weight", shape: []uint64{e, patches + 1}},
		{name: "v.pre_ln.weight", shape: []uint64{e}, value: ones},
		{name: "v.pre_ln.bias", shape: []uint64{e}, value: zeros},
		{name: "mm.0.weight", shape: []uint64{e, llamaFF}},
		{name: "mm.0.bias", shape: []uint64{llamaFF}, value: zeros},
		{name: "mm.2.weight", shape: []uint64{llamaFF, llamaEmbd}},
		{name: "mm.2.bias", shape: []uint64{llamaEmbd}, value: zeros},
		{name: "model.image_newline", shape: []uint64{llamaEmbd}},
	}
	for l := 0; l < clipLayer; l++ {
		p := fmt.Sprintf("v.blk.%d.", l)
		for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_out"} {
			pts = append(pts,
				tensor{name: p + n + ".weight", shape: []uint64{e, e}},
				tensor{name: p + n + ".bias", shape: []uint64{e}, value: zeros})
		}
		for _, n := range []string{"ln1", "ln2"} {
			pts = append(pts,
				tensor{name: p + n + ".weight", shape: []uint64{e}, value: ones},
				tensor{name: p + n + ".bias", shape: []uint64{e}, value: zeros})
		}
		pts = append(pts,
			tensor{name: p + "ffn_up.weight", shape: []uint64{e, f}},
			tensor{name: p + "ffn_up.bias", shape: []uint64{f}, value: zeros},
			tensor{name: p + "ffn_down.weight", shape: []uint64{f, e}},
			tensor{name: p + "ffn_down.bias", shape: []uint64{e}, value: zeros})
	}
	return writeGGUF(projPath, pkv, pts)
}
