package workflows

import (
	"fmt"
	"strings"

	"grantflow/scheme"
)

// Score is an assessor's mark for one criterion, 0 to 5, with the reason for it.
type Score struct {
	Criterion string `json:"criterion"` // scheme.Criterion.Key
	Score     int    `json:"score"`
	Comment   string `json:"comment"`
}

// ScoreSummary is what a set of scores comes to under a scheme's weighted criteria.
type ScoreSummary struct {
	Weighted     float64  `json:"weighted"`      // 0..100: sum(score/5 * weight), rounded to 2 decimals
	BelowMinimum []string `json:"below_minimum"` // readable, e.g. "Deliverability and governance scored 1, below the minimum of 2"
	Fundable     bool     `json:"fundable"`      // no criterion below its minimum
}

// MaxScore is the highest mark for a criterion; the lowest is 0.
const MaxScore = 5

// ValidateScores checks a complete set: every criterion of the rules exactly once, 0..5, a non-empty
// comment, no unknown criterion. The error is a *FieldError naming the first field at fault, e.g.
// Field "scores[2].score", Reason "must be between 0 and 5"; a missing criterion is reported on "scores".
func ValidateScores(rules scheme.Rules, scores []Score) error {
	seen := make(map[string]bool, len(scores))
	for i, s := range scores {
		field := fmt.Sprintf("scores[%d]", i)
		c, ok := criterionByKey(rules, s.Criterion)
		switch {
		case strings.TrimSpace(s.Criterion) == "":
			return &FieldError{Field: field + ".criterion", Reason: "is required"}
		case !ok:
			return &FieldError{Field: field + ".criterion", Reason: fmt.Sprintf("%q is not a criterion of this scheme", s.Criterion)}
		case seen[c.Key]:
			return &FieldError{Field: field + ".criterion", Reason: fmt.Sprintf("%s is scored more than once", criterionName(c))}
		case s.Score < 0 || s.Score > MaxScore:
			return &FieldError{Field: field + ".score", Reason: fmt.Sprintf("must be between 0 and %d", MaxScore)}
		case strings.TrimSpace(s.Comment) == "":
			return &FieldError{Field: field + ".comment", Reason: fmt.Sprintf("is required: say why %s scored %d", criterionName(c), s.Score)}
		}
		seen[c.Key] = true
	}
	var missing []string
	for _, c := range rules.Criteria {
		if !seen[c.Key] {
			missing = append(missing, criterionName(c))
		}
	}
	if len(missing) > 0 {
		return &FieldError{Field: "scores", Reason: "no score for " + readableList(missing)}
	}
	return nil
}

// SummariseScores weighs a set of scores by the scheme's criteria. It expects a set that passed
// ValidateScores: a criterion without a score counts as 0 (and is below its minimum if it has one),
// a score outside 0..5 is clamped, and a score for an unknown criterion is ignored.
func SummariseScores(rules scheme.Rules, scores []Score) ScoreSummary {
	summary := ScoreSummary{BelowMinimum: []string{}}
	// Each score/5*weight is a multiple of 0.2, so the sum of score*weight is exact in integers.
	points := 0
	for _, c := range rules.Criteria {
		s, found := scoreFor(scores, c.Key)
		s = max(0, min(MaxScore, s))
		points += s * c.Weight
		switch {
		case c.Minimum > 0 && !found:
			summary.BelowMinimum = append(summary.BelowMinimum,
				fmt.Sprintf("%s has no score, and its minimum is %d", criterionName(c), c.Minimum))
		case s < c.Minimum:
			summary.BelowMinimum = append(summary.BelowMinimum,
				fmt.Sprintf("%s scored %d, below the minimum of %d", criterionName(c), s, c.Minimum))
		}
	}
	// points/5 is a whole number of hundredths (points*20), so no rounding error creeps in.
	summary.Weighted = float64(points*(100/MaxScore)) / 100
	summary.Fundable = len(summary.BelowMinimum) == 0
	return summary
}

func criterionByKey(rules scheme.Rules, key string) (scheme.Criterion, bool) {
	for _, c := range rules.Criteria {
		if c.Key == key {
			return c, true
		}
	}
	return scheme.Criterion{}, false
}

// scoreFor returns the first score given for a criterion.
func scoreFor(scores []Score, key string) (int, bool) {
	for _, s := range scores {
		if s.Criterion == key {
			return s.Score, true
		}
	}
	return 0, false
}

func criterionName(c scheme.Criterion) string {
	if c.Name != "" {
		return c.Name
	}
	return c.Key
}
