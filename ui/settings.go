package ui

import (
	"fmt"
	"image/color"
	"net"
	"net/url"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Preference keys (Fyne preferences, stored per user).
const (
	prefClinician   = "clinician"
	prefServerURL   = "server_url"
	prefAllowRemote = "allow_remote"
	prefModel       = "default_model"
	prefKeepAlive   = "keep_alive"
	prefImageSize   = "image_size"
	prefDPI         = "default_dpi"
	prefDataDir     = "data_dir"
	prefTheme       = "theme"
	prefRecent      = "recent_files"
	prefStarted     = "started_before"
)

// Settings is what the Settings dialog edits.
type Settings struct {
	Clinician   string
	ServerURL   string // empty: OLLAMA_HOST, else http://127.0.0.1:11434
	AllowRemote bool
	Model       string
	KeepAlive   string // Ollama duration, e.g. "30m"
	ImageSize   int    // long side sent to the model; 0 = from the model
	DPI         float64
	DataDir     string
	Theme       string // "system", "light", "dark"
}

// DefaultSettings are used for keys never saved.
func DefaultSettings() Settings {
	return Settings{Model: "pulse", KeepAlive: "30m", DPI: 200, Theme: "system"}
}

// LoadSettings reads the settings from preferences.
func LoadSettings(p fyne.Preferences) Settings {
	d := DefaultSettings()
	return Settings{
		Clinician:   p.String(prefClinician),
		ServerURL:   p.String(prefServerURL),
		AllowRemote: p.Bool(prefAllowRemote),
		Model:       p.StringWithFallback(prefModel, d.Model),
		KeepAlive:   p.StringWithFallback(prefKeepAlive, d.KeepAlive),
		ImageSize:   p.Int(prefImageSize),
		DPI:         p.FloatWithFallback(prefDPI, d.DPI),
		DataDir:     p.String(prefDataDir),
		Theme:       p.StringWithFallback(prefTheme, d.Theme),
	}
}

// Save writes the settings to preferences.
func (s Settings) Save(p fyne.Preferences) {
	p.SetString(prefClinician, s.Clinician)
	p.SetString(prefServerURL, s.ServerURL)
	p.SetBool(prefAllowRemote, s.AllowRemote)
	p.SetString(prefModel, s.Model)
	p.SetString(prefKeepAlive, s.KeepAlive)
	p.SetInt(prefImageSize, s.ImageSize)
	p.SetFloat(prefDPI, s.DPI)
	p.SetString(prefDataDir, s.DataDir)
	p.SetString(prefTheme, s.Theme)
}

// Validate checks the values a user typed.
func (s Settings) Validate() error {
	if s.ServerURL != "" {
		u, err := url.Parse(s.ServerURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("server address %q: give it as http://host:port", s.ServerURL)
		}
		if !s.AllowRemote && !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("server address %q is not on this computer: turn on \"allow a remote model server\" to use it", s.ServerURL)
		}
	}
	if s.DPI < 72 || s.DPI > 600 {
		return fmt.Errorf("default DPI %.0f: choose between 72 and 600", s.DPI)
	}
	if s.ImageSize != 0 && (s.ImageSize < 224 || s.ImageSize > 4096) {
		return fmt.Errorf("image size %d: choose between 224 and 4096 pixels, or 0 for the model's own size", s.ImageSize)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// applyTheme sets the light, dark or system theme.
func applyTheme(a fyne.App, name string) {
	switch name {
	case "light":
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantLight})
	case "dark":
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantDark})
	default:
		a.Settings().SetTheme(theme.DefaultTheme())
	}
}

// variantTheme forces a light or dark variant of a theme.
type variantTheme struct {
	fyne.Theme
	v fyne.ThemeVariant
}

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.v)
}

// showSettings opens the Settings dialog; onSaved runs after a valid save.
func (a *App) showSettings() {
	s := LoadSettings(a.fyne.Preferences())
	clin := widget.NewEntry()
	clin.SetText(s.Clinician)
	clin.SetPlaceHolder("recorded as the author of reports")
	server := widget.NewEntry()
	server.SetText(s.ServerURL)
	server.SetPlaceHolder("http://127.0.0.1:11434 (or OLLAMA_HOST)")
	remoteWarn := widget.NewLabel("Images and answers will travel over the network to that server. Use only a server your clinic controls.")
	remoteWarn.Wrapping = fyne.TextWrapWord
	remoteWarn.Importance = widget.WarningImportance
	remoteWarn.Hidden = !s.AllowRemote
	remote := widget.NewCheck("Allow a remote model server", func(on bool) { remoteWarn.Hidden = !on })
	remote.SetChecked(s.AllowRemote)
	model := widget.NewEntry()
	model.SetText(s.Model)
	keep := widget.NewEntry()
	keep.SetText(s.KeepAlive)
	keep.SetPlaceHolder("e.g. 30m, 2h, -1 for always")
	size := widget.NewEntry()
	if s.ImageSize > 0 {
		size.SetText(strconv.Itoa(s.ImageSize))
	}
	size.SetPlaceHolder("from the model (1008 when unknown)")
	dpi := widget.NewSelect([]string{"100", "150", "200", "300", "400", "600"}, nil)
	dpi.SetSelected(strconv.Itoa(int(s.DPI)))
	data := widget.NewEntry()
	data.SetText(s.DataDir)
	data.SetPlaceHolder(a.opts.DataDir)
	th := widget.NewRadioGroup([]string{"system", "light", "dark"}, nil)
	th.Horizontal = true
	th.SetSelected(s.Theme)
	items := []*widget.FormItem{
		widget.NewFormItem("Clinician", clin),
		widget.NewFormItem("Model server", server),
		widget.NewFormItem("", container.NewVBox(remote, remoteWarn)),
		widget.NewFormItem("Default model", model),
		widget.NewFormItem("Keep model loaded", keep),
		widget.NewFormItem("Image size sent", size),
		widget.NewFormItem("Default PDF DPI", dpi),
		widget.NewFormItem("Data folder", data),
		widget.NewFormItem("Theme", th),
	}
	items[7].HintText = "takes effect at the next start"
	d := dialog.NewForm("Settings", "Save", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		n := Settings{
			Clinician: strings.TrimSpace(clin.Text), ServerURL: strings.TrimSpace(server.Text),
			AllowRemote: remote.Checked, Model: strings.TrimSpace(model.Text),
			KeepAlive: strings.TrimSpace(keep.Text), DataDir: strings.TrimSpace(data.Text), Theme: th.Selected,
		}
		n.ImageSize, _ = strconv.Atoi(strings.TrimSpace(size.Text))
		f, _ := strconv.ParseFloat(dpi.Selected, 64)
		n.DPI = f
		if n.Model == "" {
			n.Model = DefaultSettings().Model
		}
		if err := n.Validate(); err != nil {
			dialog.ShowError(err, a.win)
			return
		}
		n.Save(a.fyne.Preferences())
		applyTheme(a.fyne, n.Theme)
		a.settingsChanged(n)
	}, a.win)
	d.Resize(fyne.NewSize(620, 560))
	d.Show()
}
