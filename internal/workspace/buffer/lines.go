package buffer

// lineStore holds the lines of a buffer in a gap buffer: a slice with a hole
// at the place of the last edit. Replacing a line is O(1); inserting or
// removing lines costs the distance from the last edit plus the lines moved,
// so typing and pressing enter near the cursor never copy the whole file.
type lineStore struct {
	buf      []string
	gapStart int // the hole is buf[gapStart:gapEnd]
	gapEnd   int
}

func newLineStore(lines []string) lineStore {
	return lineStore{buf: lines, gapStart: len(lines), gapEnd: len(lines)}
}

func (s *lineStore) Len() int { return len(s.buf) - (s.gapEnd - s.gapStart) }

func (s *lineStore) index(i int) int {
	if i < s.gapStart {
		return i
	}
	return i + s.gapEnd - s.gapStart
}

// At returns line i; i must be in [0, Len()).
func (s *lineStore) At(i int) string { return s.buf[s.index(i)] }

// Set replaces line i.
func (s *lineStore) Set(i int, line string) { s.buf[s.index(i)] = line }

// moveGap puts the hole just before line i.
func (s *lineStore) moveGap(i int) {
	switch {
	case i < s.gapStart:
		d := s.gapStart - i
		copy(s.buf[s.gapEnd-d:s.gapEnd], s.buf[i:s.gapStart])
		s.gapStart, s.gapEnd = i, s.gapEnd-d
		clear(s.buf[s.gapStart:min(s.gapEnd, s.gapStart+d)]) // let moved-from strings be collected
	case i > s.gapStart:
		d := i - s.gapStart
		oldEnd := s.gapEnd
		copy(s.buf[s.gapStart:s.gapStart+d], s.buf[s.gapEnd:s.gapEnd+d])
		s.gapStart, s.gapEnd = i, s.gapEnd+d
		clear(s.buf[max(oldEnd, s.gapStart):s.gapEnd])
	}
}

// Insert puts lines before line i (i may be Len()).
func (s *lineStore) Insert(i int, lines []string) {
	n := len(lines)
	if n == 0 {
		return
	}
	if s.gapEnd-s.gapStart < n {
		// Grow, with the hole at i: one copy of the whole file, amortised
		// over at least as many inserted lines as the file holds.
		size := s.Len()
		nb := make([]string, size+max(size, n+64))
		copy(nb, s.buf[:s.gapStart])
		tail := s.buf[s.gapEnd:]
		copy(nb[len(nb)-len(tail):], tail)
		s.gapEnd = len(nb) - len(tail)
		s.buf = nb
	}
	s.moveGap(i)
	copy(s.buf[s.gapStart:], lines)
	s.gapStart += n
}

// Delete removes n lines starting at line i.
func (s *lineStore) Delete(i, n int) {
	if n <= 0 {
		return
	}
	s.moveGap(i)
	clear(s.buf[s.gapEnd : s.gapEnd+n])
	s.gapEnd += n
}

// Slice copies lines [from, to) into dst and returns it.
func (s *lineStore) Slice(dst []string, from, to int) []string {
	for i := from; i < to; i++ {
		dst = append(dst, s.At(i))
	}
	return dst
}
