# A user's own sitecustomize: GradLens's bootstrap must still run it.
import os
os.environ["USER_SITECUSTOMIZE_RAN"] = "yes"
