package filestore

import (
	"bytes"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// SniffLen is how many leading bytes Sniff looks at; passing more is
// harmless, passing fewer may make a text file look like something else.
const SniffLen = 3072

// allowed is the complete list of types visitors may upload. It is an
// allow-list rather than a block-list because everything else a browser can
// render actively (HTML, SVG, XML with stylesheets, PDF-HTML polyglots…) or
// a customer's staff might run (scripts, executables, archives hiding them)
// is dangerous, and new such formats keep appearing.
var allowList = map[string]bool{
	"image/png":       true,
	"image/jpeg":      true,
	"image/gif":       true,
	"image/webp":      true,
	"application/pdf": true,
	"text/plain":      true,
}

// Sniff detects the content type from the first bytes of a file and reports
// whether it is on the allow-list: image/png, image/jpeg, image/gif,
// image/webp, application/pdf and text/plain.
//
// Only content counts. The file name and the client's Content-Type are
// attacker-chosen, so a "photo.png" that is really HTML is HTML here. The
// returned type has no parameters (no "; charset=…"); store and serve it as
// is, with X-Content-Type-Options: nosniff so browsers do not second-guess it.
//
// Detection follows the rules browsers use themselves: markup counts as HTML,
// SVG or XML only when it starts the file (after whitespace), so a text file
// that merely mentions "<script>" later on stays text/plain — which is also
// how a browser would render it.
func Sniff(head []byte) (contentType string, allowed bool) {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	m := mimetype.Detect(head)
	ct := m.String()
	// Parameters such as charset are only meaningful to text/plain and are
	// left to the serving side; callers compare and store the bare type.
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	switch ct {
	case "image/vnd.mozilla.apng":
		// An animated PNG is a valid PNG that every browser displays as
		// image/png; refusing it would only surprise users.
		ct = "image/png"
	case "application/pdf":
		// mimetype accepts "%PDF-" anywhere in the first kilobyte, which lets
		// an HTML page with a PDF marker in a comment pass as a PDF. Insist on
		// the marker at the very start (after at most a BOM or newline, as
		// real PDF writers produce).
		if !pdfPrefix(head) {
			return "application/octet-stream", false
		}
	}
	return ct, allowList[ct]
}

func pdfPrefix(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimPrefix(b, []byte("\n"))
	return bytes.HasPrefix(b, []byte("%PDF-"))
}
