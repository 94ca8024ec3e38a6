// Marks the page as scripted before it is laid out, so the tree's box takes its final shape once.
document.documentElement.classList.add("js");
