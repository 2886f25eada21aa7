package reporting

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"
)

var (
	svgProlog = regexp.MustCompile(`(?s)^.*?(<svg\b)`)
	svgSize   = regexp.MustCompile(`\s(width|height)="[^"]*"`)
	svgStyle  = regexp.MustCompile(`\sstyle="([^"]*)"`)
)

// InlineSVG makes a chart drawn by SVG fit to go inside a page: the XML prolog goes; the chart
// takes its container's width (keeping its shape); its inline styles become presentation
// attributes, which a content security policy without 'unsafe-inline' allows; and it becomes one
// image to assistive technology (role="img", named by a title and described by desc, with id as
// their prefix), its drawn labels left unread since the table beside it carries the figures.
func InlineSVG(svg []byte, id, title, desc string) (string, error) {
	loc := svgProlog.FindSubmatchIndex(svg)
	if loc == nil {
		return "", fmt.Errorf("chart %q: not an SVG drawing", title)
	}
	out := svg[loc[2]:]
	end := bytes.IndexByte(out, '>')
	if end < 0 {
		return "", fmt.Errorf("chart %q: not an SVG drawing", title)
	}
	open := svgSize.ReplaceAll(out[:end], nil)
	var b strings.Builder
	b.Write(open)
	fmt.Fprintf(&b, ` width="100%%" class="app-chart" role="img" focusable="false" aria-labelledby="%[1]s-title %[1]s-desc">`, html.EscapeString(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, html.EscapeString(id), html.EscapeString(title),
		html.EscapeString(id), html.EscapeString(desc))
	b.Write(svgStyle.ReplaceAllFunc(out[end+1:], func(m []byte) []byte {
		var attrs strings.Builder
		for _, decl := range strings.Split(string(svgStyle.FindSubmatch(m)[1]), ";") {
			name, value, ok := strings.Cut(decl, ":")
			if name, value = strings.TrimSpace(name), strings.TrimSpace(value); ok && name != "" && isPresentation(name) {
				fmt.Fprintf(&attrs, ` %s="%s"`, name, html.EscapeString(value))
			}
		}
		return []byte(attrs.String())
	}))
	return strings.TrimSpace(b.String()), nil
}

// isPresentation reports whether a CSS property is also an SVG presentation attribute (the ones
// gonum/plot writes are).
func isPresentation(name string) bool {
	for _, c := range name {
		if (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	switch name {
	case "fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray", "stroke-dashoffset", "stroke-linecap",
		"stroke-linejoin", "font-family", "font-size", "font-style", "font-variant", "font-weight", "opacity", "text-anchor":
		return true
	}
	return false
}
