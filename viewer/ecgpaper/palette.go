package ecgpaper

import (
	"image"
	"image/color"
	"sort"
)

// Paletted converts a rendered page to at most 256 colours: ramps from the
// paper and grid colours to black (anti-aliased ink over them) and the most
// frequent colours of the page, every other colour mapped to its nearest. A page drawn by Render
// loses almost nothing and its PNG shrinks several times.
func Paletted(img image.Image) *image.Paletted {
	src := toNRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	count := map[uint32]int{}
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for i := 0; i < len(row); i += 4 {
			count[uint32(row[i])<<16|uint32(row[i+1])<<8|uint32(row[i+2])]++
		}
	}
	cols := make([]uint32, 0, len(count))
	for c := range count {
		cols = append(cols, c)
	}
	sort.Slice(cols, func(i, j int) bool {
		if count[cols[i]] != count[cols[j]] {
			return count[cols[i]] > count[cols[j]]
		}
		return cols[i] < cols[j]
	})
	// Ramps from the three most frequent colours (paper and grid lines) to
	// black, for ink and text drawn over them, then the most frequent colours.
	pal0 := make([]uint32, 0, 256)
	seen := map[uint32]bool{}
	add := func(c uint32) {
		if !seen[c] && len(pal0) < 256 {
			pal0 = append(pal0, c)
			seen[c] = true
		}
	}
	for _, base := range cols[:min(3, len(cols))] {
		for i := 0; i < 32; i++ {
			f := float64(i) / 31
			r, g, b := float64(base>>16), float64(base>>8&0xff), float64(base&0xff)
			add(uint32(r*f+0.5)<<16 | uint32(g*f+0.5)<<8 | uint32(b*f+0.5))
		}
	}
	for _, c := range cols {
		add(c)
	}
	cols = pal0
	pal := make(color.Palette, len(cols))
	index := make(map[uint32]uint8, len(count))
	for i, c := range cols {
		pal[i] = color.NRGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 255}
		index[c] = uint8(i)
	}
	out := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := 0; x < w; x++ {
			c := uint32(row[4*x])<<16 | uint32(row[4*x+1])<<8 | uint32(row[4*x+2])
			k, ok := index[c]
			if !ok {
				k = nearest(cols, c)
				index[c] = k
			}
			out.Pix[y*out.Stride+x] = k
		}
	}
	return out
}

func nearest(cols []uint32, c uint32) uint8 {
	best, bestD := 0, 1<<62
	r, g, b := int(c>>16), int(c>>8&0xff), int(c&0xff)
	for i, p := range cols {
		dr, dg, db := r-int(p>>16), g-int(p>>8&0xff), b-int(p&0xff)
		if d := 3*dr*dr + 4*dg*dg + 2*db*db; d < bestD {
			best, bestD = i, d
		}
	}
	return uint8(best)
}
