"""What any outgoing message needs, campaign or not: parts, rendering, prices."""
