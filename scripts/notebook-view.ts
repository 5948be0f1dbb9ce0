/** Build step: the notebook cell view's template, into the Python package (see src/trace/host/notebookView.ts). */
import * as fs from "node:fs";
import { notebookViewTemplate } from "../src/trace/host/notebookView";

fs.writeFileSync("dist/python/gradlens/_view.html", notebookViewTemplate("media/build"));
