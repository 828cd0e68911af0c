package assets

import _ "embed"

// ModelfilePULSE is the Ollama Modelfile for PULSE-7B: the llava_v1
// template, system prompt, stops and parameters. Its FROM lines hold
// placeholder file names.
//
//go:embed Modelfile.pulse
var ModelfilePULSE string
