package store

import "testing"

// Which searches the words' index narrows, and by what (the whole rule is in SearchWords's comment).
func TestWordsOf(t *testing.T) {
	for typed, want := range map[string]string{
		"treet lighting near Oakh":          "lighting & near & oakh:*",
		"knife crime education in Market H": "crime & education & market", // "in" and "H" narrow nothing
		"lighting near oakham":              "near & oakham:*",
		"Street lighting in Oakham":         "lighting & oakham:*",
		"Trust in Oakham":                   "", // one word left
		"Youth Trust":                       "", // two words: the first may be part of one, the last too
		"Oakham Boxing Club 1234":           "", // digits: the trigram index does better
		"GF-2026-0001234":                   "",
		"Women's Aid Oakham":                "",
		"Street\tlighting in Oakham":        "", // only spaces between words
		"":                                  "",
	} {
		if got := SearchWords(typed); got != want {
			t.Errorf("SearchWords(%q) = %q, want %q", typed, got, want)
		}
	}
}
