package ecgpaper

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"io"
	"math"
	"strings"
)

// RenderPDF writes a record as a one-page vector PDF of the paper's
// physical size. Rasterised at opt.DPI (as MuPDF does), the page has the
// geometry of the returned Truth, which is that of Render at the same
// options except for the boxes that depend on rasterisation (TraceBox,
// SignalBox, HeaderBox, label boxes), which are computed from the same
// raster.
func RenderPDF(w io.Writer, rec *Record, opt Options) (*Truth, error) {
	_, t, err := Render(rec, opt)
	if err != nil {
		return nil, err
	}
	opt, _ = opt.withDefaults()
	p, err := layoutPage(rec, opt)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", recName(rec), err)
	}
	const k = 72 / 25.4 // pt per mm
	var c bytes.Buffer
	// PDF y grows upwards: flip once for the whole page, in mm.
	fmt.Fprintf(&c, "%.6f 0 0 %.6f 0 %.4f cm\n", k, -k, p.hMM*k)
	if pal, ok := gridPalettes[opt.Grid]; ok {
		gx0, gy0, gx1, gy1 := p.gridX0, p.gridY0, p.gridX1, p.gridY1
		nx, ny := int(math.Round(gx1-gx0)), int(math.Round(gy1-gy0))
		rgb := func(r, g, b uint8) string {
			return fmt.Sprintf("%.3f %.3f %.3f RG\n", float64(r)/255, float64(g)/255, float64(b)/255)
		}
		switch opt.GridStyle {
		case GridLines:
			c.WriteString(rgb(pal.minor.R, pal.minor.G, pal.minor.B))
			fmt.Fprintf(&c, "%.3f w 0 J\n", minorLineMM)
			for i := 0; i <= nx; i++ {
				if i%5 != 0 {
					fmt.Fprintf(&c, "%.3f %.3f m %.3f %.3f l\n", gx0+float64(i), gy0, gx0+float64(i), gy1)
				}
			}
			for j := 0; j <= ny; j++ {
				if j%5 != 0 {
					fmt.Fprintf(&c, "%.3f %.3f m %.3f %.3f l\n", gx0, gy0+float64(j), gx1, gy0+float64(j))
				}
			}
			c.WriteString("S\n")
		case GridDots:
			c.WriteString(rgb(pal.minor.R, pal.minor.G, pal.minor.B))
			fmt.Fprintf(&c, "%.3f w 1 J\n", dotMM)
			for j := 0; j <= ny; j++ {
				for i := 0; i <= nx; i++ {
					if i%5 != 0 && j%5 != 0 {
						x, y := gx0+float64(i), gy0+float64(j)
						fmt.Fprintf(&c, "%.3f %.3f m %.3f %.3f l\n", x, y, x, y)
					}
				}
			}
			c.WriteString("S\n")
		}
		c.WriteString(rgb(pal.major.R, pal.major.G, pal.major.B))
		fmt.Fprintf(&c, "%.3f w 0 J\n", majorLineMM)
		for i := 0; i <= nx; i += 5 {
			fmt.Fprintf(&c, "%.3f %.3f m %.3f %.3f l\n", gx0+float64(i), gy0-majorLineMM/2, gx0+float64(i), gy1+majorLineMM/2)
		}
		for j := 0; j <= ny; j += 5 {
			fmt.Fprintf(&c, "%.3f %.3f m %.3f %.3f l\n", gx0-majorLineMM/2, gy0+float64(j), gx1+majorLineMM/2, gy0+float64(j))
		}
		c.WriteString("S\n")
	}
	// Traces, in mm (Truth pixels / px per mm).
	fmt.Fprintf(&c, "0 0 0 RG %.3f w 1 J 1 j\n", opt.TraceWidthMM)
	inv := 1 / t.PxPerMM
	stroke := func(pts [][2]float64) {
		for i, q := range pts {
			op := "l"
			if i == 0 {
				op = "m"
			}
			fmt.Fprintf(&c, "%.4f %.4f %s\n", q[0], q[1], op)
		}
		if len(pts) == 1 {
			fmt.Fprintf(&c, "%.4f %.4f l\n", pts[0][0], pts[0][1])
		}
		c.WriteString("S\n")
	}
	for _, pu := range t.Pulses {
		stroke(pulsePolyline(pu, inv))
	}
	for i := range t.Panels {
		for _, pl := range panelPolylines(rec, t, i, inv) {
			stroke(pl)
		}
	}
	// Text: undo the flip for glyphs.
	c.WriteString("0.078 0.078 0.078 rg\n")
	for _, tx := range p.texts {
		fmt.Fprintf(&c, "BT /F1 %.3f Tf 1 0 0 -1 %.3f %.3f Tm (%s) Tj ET\n", tx.size, tx.x, tx.y, pdfString(tx.s))
	}
	return t, writePDF(w, p.wMM*k, p.hMM*k, c.Bytes(), nil)
}

// pdfImage is an RGB image XObject.
type pdfImage struct {
	w, h int
	rgb  []byte
}

// WritePDFImage writes img as a one-page PDF whose page size makes it dpi
// dots per inch (so DPI/25.4 pixels per millimetre when rendered at dpi).
func WritePDFImage(w io.Writer, img image.Image, dpi float64) error {
	if !(dpi > 0) {
		return fmt.Errorf("PDF: DPI %g is not positive", dpi)
	}
	n := toNRGBA(img)
	iw, ih := n.Rect.Dx(), n.Rect.Dy()
	rgb := make([]byte, 0, iw*ih*3)
	for y := 0; y < ih; y++ {
		row := n.Pix[y*n.Stride : y*n.Stride+4*iw]
		for i := 0; i < len(row); i += 4 {
			a := uint32(row[i+3])
			for c := 0; c < 3; c++ { // over white
				rgb = append(rgb, uint8((uint32(row[i+c])*a+255*(255-a)+127)/255))
			}
		}
	}
	pw, ph := float64(iw)*72/dpi, float64(ih)*72/dpi
	content := fmt.Appendf(nil, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n", pw, ph)
	return writePDF(w, pw, ph, content, &pdfImage{iw, ih, rgb})
}

func pdfString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 32 && r < 127:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// writePDF writes a one-page PDF of w x h points with the given content
// stream and, optionally, one image named /Im0.
func writePDF(out io.Writer, w, h float64, content []byte, img *pdfImage) error {
	var b bytes.Buffer
	var offs []int
	obj := func(body string, stream []byte) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offs), body)
		if stream != nil {
			b.WriteString("\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	res := "/Font << /F1 4 0 R >>"
	if img != nil {
		res += " /XObject << /Im0 6 0 R >>"
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] /Resources << %s >> /Contents 5 0 R >>", w, h, res), nil)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", nil)
	z := deflate(content)
	obj(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>", len(z)), z)
	if img != nil {
		zi := deflate(img.rgb)
		obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length %d /Filter /FlateDecode >>", img.w, img.h, len(zi)), zi)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	_, err := out.Write(b.Bytes())
	if err != nil {
		return fmt.Errorf("PDF: %w", err)
	}
	return nil
}
