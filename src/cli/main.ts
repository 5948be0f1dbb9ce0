/** `gradlens` command line. */
function main(argv: string[]): number {
  const [command] = argv;
  if (command === "--version" || command === "-v") {
    console.log("gradlens 0.1.0");
    return 0;
  }
  console.error(`gradlens: unknown command ${JSON.stringify(command ?? "")}\nusage: gradlens lint [paths...]`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
