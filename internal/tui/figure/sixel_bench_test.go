package figure

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// plotLike is a 640×480 PNG like matplotlib's default figure: white, axes
// and a line (few colours, large flat areas).
func plotLike(b testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 640, 480))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 80; x < 576; x++ {
		img.SetNRGBA(x, 420, color.NRGBA{0, 0, 0, 255})
		y := 400 - (x-80)*300/496
		for d := range 3 {
			img.SetNRGBA(x, y+d, color.NRGBA{31, 119, 180, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkSixelOf is a figure's sixel encoding for a 66×20-cell pane of
// 10×20-pixel cells (what a sixel view does once per figure per size, off
// the render path).
func BenchmarkSixelOf(b *testing.B) {
	data := plotLike(b)
	var n int
	for b.Loop() {
		n = len(SixelOf(data, 660, 400))
	}
	b.ReportMetric(float64(n), "bytes/sixel")
}
