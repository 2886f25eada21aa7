package workflows_test

import (
	"errors"
	"slices"
	"testing"

	"grantflow/scheme"
	"grantflow/workflows"
)

// fullScores scores every demo criterion, in the rules' order: fit, need, deliverability, value, partnership.
func fullScores(fit, need, deliverability, value, partnership int) []workflows.Score {
	return []workflows.Score{
		{Criterion: "fit", Score: fit, Comment: "Addresses serious violence among under-25s in Charnwood."},
		{Criterion: "need", Score: need, Comment: "Local data shows rising incidents."},
		{Criterion: "deliverability", Score: deliverability, Comment: "Constituted group with a treasurer and accounts."},
		{Criterion: "value", Score: value, Comment: "Volunteers keep costs low."},
		{Criterion: "partnership", Score: partnership, Comment: "Works with the local school."},
	}
}

func TestValidateScores(t *testing.T) {
	cases := []struct {
		name   string
		scores func() []workflows.Score
		field  string // "" = valid
		reason string
	}{
		{name: "complete set", scores: func() []workflows.Score { return fullScores(3, 3, 3, 3, 3) }},
		{name: "lowest and highest scores", scores: func() []workflows.Score { return fullScores(0, 5, 0, 5, 0) }},
		{name: "any order", scores: func() []workflows.Score {
			s := fullScores(3, 3, 3, 3, 3)
			slices.Reverse(s)
			return s
		}},
		{name: "score above 5", scores: func() []workflows.Score { return fullScores(3, 3, 6, 3, 3) },
			field: "scores[2].score", reason: "must be between 0 and 5"},
		{name: "score below 0", scores: func() []workflows.Score { return fullScores(-1, 3, 3, 3, 3) },
			field: "scores[0].score", reason: "must be between 0 and 5"},
		{name: "empty comment", scores: func() []workflows.Score {
			s := fullScores(3, 4, 3, 3, 3)
			s[1].Comment = " \n "
			return s
		}, field: "scores[1].comment", reason: "is required: say why Need and evidence scored 4"},
		{name: "criterion scored twice", scores: func() []workflows.Score {
			return append(fullScores(3, 3, 3, 3, 3), workflows.Score{Criterion: "need", Score: 4, Comment: "Second look."})
		}, field: "scores[5].criterion", reason: "Need and evidence is scored more than once"},
		{name: "unknown criterion", scores: func() []workflows.Score {
			s := fullScores(3, 3, 3, 3, 3)
			s[4].Criterion = "innovation"
			return s
		}, field: "scores[4].criterion", reason: `"innovation" is not a criterion of this scheme`},
		{name: "criterion key is exact", scores: func() []workflows.Score {
			s := fullScores(3, 3, 3, 3, 3)
			s[0].Criterion = "Fit"
			return s
		}, field: "scores[0].criterion", reason: `"Fit" is not a criterion of this scheme`},
		{name: "no criterion", scores: func() []workflows.Score {
			s := fullScores(3, 3, 3, 3, 3)
			s[3].Criterion = ""
			return s
		}, field: "scores[3].criterion", reason: "is required"},
		{name: "one criterion missing", scores: func() []workflows.Score { return fullScores(3, 3, 3, 3, 3)[:4] },
			field: "scores", reason: "no score for Partnership working"},
		{name: "several criteria missing", scores: func() []workflows.Score { return fullScores(3, 3, 3, 3, 3)[1:3] },
			field: "scores", reason: "no score for Fit with Police and Crime Plan priorities, Value for money, and Partnership working"},
		{name: "no scores", scores: func() []workflows.Score { return nil },
			field: "scores",
			reason: "no score for Fit with Police and Crime Plan priorities, Need and evidence, Deliverability and governance, " +
				"Value for money, and Partnership working"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := workflows.ValidateScores(policyRules(t), tc.scores())
			if tc.field == "" {
				if err != nil {
					t.Fatalf("ValidateScores: %v, want no error", err)
				}
				return
			}
			var fe *workflows.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FieldError", err, err)
			}
			if fe.Field != tc.field || fe.Reason != tc.reason {
				t.Errorf("got Field %q Reason %q, want Field %q Reason %q", fe.Field, fe.Reason, tc.field, tc.reason)
			}
			if want := tc.field + ": " + tc.reason; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestSummariseScores(t *testing.T) {
	oddWeights := func(r *scheme.Rules) {
		r.Criteria = []scheme.Criterion{
			{Key: "fit", Name: "Fit", Weight: 33},
			{Key: "need", Name: "Need", Weight: 33},
			{Key: "deliverability", Name: "Deliverability", Weight: 34, Minimum: 3},
		}
	}
	cases := []struct {
		name     string
		rules    func(*scheme.Rules)
		scores   []workflows.Score
		weighted float64
		below    []string
	}{
		{name: "top marks", scores: fullScores(5, 5, 5, 5, 5), weighted: 100, below: []string{}},
		{name: "middling", scores: fullScores(4, 3, 2, 4, 3), weighted: 65, below: []string{}}, // 24+15+8+12+6
		{name: "deliverability exactly at its minimum", scores: fullScores(1, 1, 2, 1, 1), weighted: 24, below: []string{}},
		{name: "deliverability below its minimum", scores: fullScores(5, 5, 1, 5, 5), weighted: 84,
			below: []string{"Deliverability and governance scored 1, below the minimum of 2"}},
		{name: "all zero", scores: fullScores(0, 0, 0, 0, 0), weighted: 0,
			below: []string{"Deliverability and governance scored 0, below the minimum of 2"}},
		{name: "fractions of a point", rules: oddWeights, scores: fullScores(1, 1, 3, 0, 0)[:3], weighted: 33.6, below: []string{}},
		{name: "weighted to 2 decimals", rules: oddWeights, scores: fullScores(1, 2, 3, 0, 0)[:3], weighted: 40.2, below: []string{}},
		{name: "weighted to 2 decimals, below a minimum", rules: oddWeights, scores: fullScores(1, 0, 2, 0, 0)[:3], weighted: 20.2,
			below: []string{"Deliverability scored 2, below the minimum of 3"}},
		{name: "missing criterion with a minimum", scores: slices.Delete(fullScores(5, 5, 5, 5, 5), 2, 3), weighted: 80,
			below: []string{"Deliverability and governance has no score, and its minimum is 2"}},
		{name: "missing criterion without a minimum counts as 0", scores: fullScores(5, 5, 5, 5, 5)[:4], weighted: 90, below: []string{}},
		{name: "out-of-range scores are clamped", scores: fullScores(9, 5, 5, 5, -3), weighted: 90, below: []string{}},
		{name: "unknown criterion is ignored",
			scores:   append(fullScores(5, 5, 5, 5, 5), workflows.Score{Criterion: "innovation", Score: 5, Comment: "x"}),
			weighted: 100, below: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rules := policyRules(t)
			if tc.rules != nil {
				tc.rules(&rules)
			}
			got := workflows.SummariseScores(rules, tc.scores)
			if got.Weighted != tc.weighted {
				t.Errorf("Weighted = %v, want %v", got.Weighted, tc.weighted)
			}
			if got.BelowMinimum == nil || !slices.Equal(got.BelowMinimum, tc.below) {
				t.Errorf("BelowMinimum = %#v, want %#v", got.BelowMinimum, tc.below)
			}
			if want := len(tc.below) == 0; got.Fundable != want {
				t.Errorf("Fundable = %v, want %v", got.Fundable, want)
			}
		})
	}
}
