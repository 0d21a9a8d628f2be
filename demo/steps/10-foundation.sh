# Step 1: a research repository, `rflow init`, and `rflow validate` catching a broken plan.
say "a fresh git repository, set up with rflow init"
cd "$DEMO_ROOT"
git init -q -b main repo
cd repo
echo "# churn research" > README.md
git add README.md && git commit -qm "initial commit"
rflow init
echo "-- running rflow init again changes nothing:"
rflow init
pre-commit install
git add -A && git commit -qm "Set up researchflow"

say "a plan with a broken RICE score and a wrong direction is refused"
mkdir -p research/H-001-demo
sed -e 's/^id: H-000/id: H-001/' -e 's/reach: 3/reach: 9/' -e 's/direction: increase/direction: up/' \
  "$(python -c 'import researchflow, pathlib; print(pathlib.Path(researchflow.__file__).parent / "templates/plan.qmd")')" \
  > research/H-001-demo/plan.qmd
rflow validate && { echo "expected validate to fail"; exit 1; } || echo "(exit code $?)"
rm -rf research/H-001-demo
