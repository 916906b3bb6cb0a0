"""What boostfocal knows about CatBoost: the errors for the other family and the GPU, the thread
count a Python multi-class objective trains best with, and the parameter policing ``fit`` runs
before CatBoost starts. The facts themselves are in docs/development.md and docs/catboost.md."""
from __future__ import annotations

GPU_REFUSAL = ("task_type='GPU': CatBoost has no GPU entry point for a multi-class Python objective "
        "(calc_ders_multi runs on the CPU only); train MulticlassFocalObjective with "
        "task_type='CPU' (FocalObjective, the binary loss, does run on the GPU)")
BINARY_ONLY = ("FocalObjective is binary (one approx per row, labels in [0, 1]); for multi-class "
               "use MulticlassFocalObjective / MulticlassFocalMetric")
ONE_SCORE = ("CatBoost keeps one raw score per row (two classes, or no class_names / classes_count): "
           "MulticlassFocalObjective needs class_names with at least 3 classes (boostfocal.catboost"
           ".fit sets them); for two classes use FocalObjective")
MULTICLASS_THREAD_COUNT = 1


def on_gpu(params):
    return str(params.get("task_type", "CPU")).upper() == "GPU"
