// Package easytext is Waakvlam's easy-language lint: it checks that a text
// for a client follows the project's guide for easy Dutch
// (shared/EASY-DUTCH.md; readers with a mild intellectual disability, below
// B1).
//
// It owns:
//   - the measures of a text: words, sentences and questions per message,
//     words per sentence, syllables per word (a self-contained Dutch syllable
//     counter, see Syllables), the share of words of four syllables or more
//     and the Flesch–Douma reading ease;
//   - the rules and their limits: no sentence over 12 words, at most 3
//     sentences and 1 question per message, Flesch–Douma at least 70 for a
//     message of two sentences or more, no hard words (each with an easy
//     alternative), "je" and never "u", no abbreviations; passive voice,
//     long words, acronyms and a question that is not last are warnings;
//     button labels have 1–3 words and an emoji;
//   - the data: hard words with their alternatives (data/hardwords.tsv, at
//     least 150 entries) and abbreviations (data/abbreviations.tsv), both
//     embedded;
//   - reading go-i18n YAML message files, filling their templates with
//     realistic example values (Examples) and checking every message
//     (LintLocaleFile, LintLocaleFS), and the readable table of the results
//     (WriteTable) that the "waakvlam lint-texts" command prints.
//
// CheckText applies the same rules to a free text, such as a coach's reply,
// so coaches can get a private hint about long sentences and hard words.
//
// Only Dutch gets the word rules; for other languages (the "en" file) only
// the structural rules apply: sentence length, sentences and questions per
// message, and the button rule.
package easytext
