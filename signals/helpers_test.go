package signals

import "flag"

var showMisses = flag.Bool("misses", false, "list every misclassified corpus line in TestEvaluation")
